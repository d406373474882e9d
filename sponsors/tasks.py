"""Celery entry points of sponsors: take ids, call a service; idempotent; bounded retries."""

from __future__ import annotations

from celery import shared_task

from core.jobs import enqueue
from payments.errors import PaymentUnavailable
from sponsors.services import agreement, employers, pools


@shared_task(
    name="sponsors.settle_pool",
    acks_late=True,
    autoretry_for=(PaymentUnavailable, OSError),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=10,
)
def pool_settle(pool_id: int) -> bool:
    return pools.pool_settle(pool_id=pool_id)


@shared_task(name="sponsors.settle_due")
def pools_settle_due() -> int:
    """The sweep: a settle job for each paid pool whose fee was never posted."""
    due = pools.pools_unsettled()
    for pool_id in due:
        enqueue("sponsors.settle_pool", pool_id)
    return len(due)


@shared_task(
    name="sponsors.tell_contact",
    acks_late=True,
    autoretry_for=(OSError,),
    retry_backoff=30,
    retry_backoff_max=1800,
    max_retries=10,
)
def contact_tell(contact_id: int) -> bool:
    return employers.contact_tell(contact_id=contact_id)


@shared_task(name="sponsors.end_due")
def pools_end_due() -> int:
    """The sweep: each pool whose offering stopped taking enrollments is ended (the agreement)."""
    due = agreement.pools_to_end()
    for pool_id in due:
        enqueue("sponsors.end_pool", pool_id)
    return len(due)


@shared_task(
    name="sponsors.end_pool",
    acks_late=True,
    autoretry_for=(PaymentUnavailable, OSError),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=10,
)
def pool_end(pool_id: int) -> bool:
    return agreement.pool_end(pool_id=pool_id) is not None


@shared_task(
    name="sponsors.tell_pool_ended",
    acks_late=True,
    autoretry_for=(OSError,),
    retry_backoff=30,
    retry_backoff_max=1800,
    max_retries=10,
)
def pool_ended_tell(pool_id: int) -> bool:
    return agreement.pool_ended_tell(pool_id=pool_id)

"""Celery entry points of sponsors: take ids, call a service; idempotent; bounded retries."""

from __future__ import annotations

from celery import shared_task

from core.jobs import enqueue
from payments.errors import PaymentUnavailable
from sponsors.services import employers, pools


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

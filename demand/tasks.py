"""Celery entry points of demand: take ids, call a service; idempotent; bounded retries."""

from __future__ import annotations

from celery import shared_task

from core.jobs import enqueue
from demand import selectors, services


@shared_task(
    name="demand.notify_interest",
    acks_late=True,
    autoretry_for=(OSError,),
    retry_backoff=30,
    retry_backoff_max=1800,
    max_retries=10,
)
def interest_notify(interest_id: int) -> bool:
    return services.interest_notify(interest_id=interest_id)


@shared_task(name="demand.notify_due")
def interests_notify_due() -> int:
    """The sweep (beat, every minute): a job for each waiting interest whose microcredential has
    a run taking enrollments with a seat left: just published, enrollment just opened, a seat
    freed in a full run, capacity raised."""
    due = selectors.interests_due()
    for interest_id in due:
        enqueue("demand.notify_interest", interest_id)
    return len(due)


@shared_task(name="demand.notify_for_offering")
def interests_notify_for_offering(offering_id: int) -> int:
    """A seat of this run freed (or its capacity went up): tell its microcredential's waiting
    people now rather than at the next minute's sweep."""
    due = selectors.interests_due(offering_id=offering_id)
    for interest_id in due:
        enqueue("demand.notify_interest", interest_id)
    return len(due)


@shared_task(name="demand.flush_search_misses")
def search_misses_flush() -> int:
    """Beat, every minute: the searches that found nothing, counted in Redis, into the database."""
    return services.search_misses_flush()

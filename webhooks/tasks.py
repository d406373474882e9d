"""Celery entry points of webhooks, on their own queue (`webhooks`, CELERY_TASK_ROUTES), so an
endpoint that answers slowly holds a webhook worker's slot, never the e-mail or payment jobs'."""

from __future__ import annotations

from celery import shared_task

from core.jobs import enqueue
from webhooks import services


@shared_task(name="webhooks.deliver", acks_late=True)
def deliver(endpoint_id: int) -> int:
    """Send the endpoint's due deliveries; again at once if its budget ran out first. A failed
    delivery is retried by its own schedule (next_attempt_at), found by the sweep."""
    run = services.endpoint_deliver(endpoint_id=endpoint_id)
    if run.more:
        enqueue("webhooks.deliver", endpoint_id)
    return run.sent


@shared_task(name="webhooks.sweep")
def sweep() -> int:
    """Every minute: a send job for each endpoint with a delivery due (a retry's time came, or
    the kick after commit was lost); finished deliveries past their keeping time deleted."""
    services.deliveries_purge()
    due = services.endpoints_due()
    for endpoint_id in due:
        enqueue("webhooks.deliver", endpoint_id)
    return len(due)

"""Celery entry points of learning access: thin, idempotent, retried a bounded number of times."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from access.errors import AccessBusy, ProvisionRetry
from access.services import completions, provisioning
from core import jobs

# An LMS that answers 5xx, times out or rate-limits: tried again after ~5 s, 10 s, 20 s, … up to
# ten minutes apart, six times; the last try marks the provision failed with the LMS's words.
MAX_RETRIES = provisioning.MAX_RETRIES


@shared_task(
    bind=True,
    name=provisioning.SYNC_TASK,
    acks_late=True,
    autoretry_for=(ProvisionRetry, AccessBusy),
    retry_backoff=5,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=MAX_RETRIES,
)
def provision_sync(self: Any, enrollment_id: int) -> int:
    final = self.request.retries >= MAX_RETRIES
    return provisioning.provision_sync(enrollment_id=enrollment_id, final=final).done


@shared_task(name="access.provisions_due", acks_late=True)
def provisions_due() -> int:
    """The sweep (beat, every minute): access whose grace or window ended, pending rows a lost
    job missed, claims that lapsed, each get their job again."""
    due = provisioning.enrollments_due()
    for enrollment_id in due:
        jobs.enqueue(provisioning.SYNC_TASK, enrollment_id)
    return len(due)


@shared_task(name="access.completions_poll", acks_late=True)
def completions_poll() -> int:
    """Beat, every 15 minutes: completions read back from every LMS."""
    return completions.completions_poll().recorded


@shared_task(name=completions.POLL_OFFERING_TASK, acks_late=True)
def completions_poll_offering(offering_id: int) -> int:
    """Staff's "Read completions from the LMS now" on one offering's roster."""
    return completions.completions_poll(offering_id=offering_id).recorded

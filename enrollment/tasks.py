"""Celery entry points: each takes ids, calls a service, and is safe to run twice (at once, too)."""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task

from core.jobs import enqueue
from enrollment import services
from enrollment.services import idempotency, messages, reminders
from tenants.models import Tenant

logger = logging.getLogger(__name__)


@shared_task(
    name=messages.SEND_TASK,
    acks_late=True,
    autoretry_for=(OSError,),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=8,
)
def enrollment_message_send(message_id: int) -> bool:
    """One outbox e-mail. Mail-server trouble (OSError, smtplib's errors among them) retries with
    back-off; the message's claim is released so the retry can take it."""
    return messages.message_send(message_id=message_id)


@shared_task(name="enrollment.expire_and_promote", acks_late=True)
def enrollments_expire_and_promote() -> dict[str, Any]:
    """Every minute (CELERY_BEAT_SCHEDULE): expire holds and offers that ran out and offer their
    seats on; promote wherever a seat is free while someone waits; resend stalled e-mails."""
    expired = services.enrollments_expire_due()
    promoted = services.waitlists_sweep()
    resent = 0
    for message_id in messages.messages_due():
        enqueue(messages.SEND_TASK, message_id)
        resent += 1
    return {"expired": expired, "promoted": promoted, "resent": resent}


@shared_task(name="enrollment.remind_due", acks_late=True)
def reminders_remind_due() -> dict[str, int]:
    """Every 5 minutes (CELERY_BEAT_SCHEDULE): queue the reminders due now, each once ever."""
    return reminders.reminders_due()


@shared_task(name="enrollment.promote", acks_late=True)
def waitlist_promote(tenant_id: int, offering_id: int) -> int:
    tenant = Tenant.objects.filter(pk=tenant_id).first()
    if tenant is None:
        return 0
    return len(services.waitlist_promote(tenant=tenant, offering_id=offering_id))


@shared_task(name="enrollment.purge_idempotency_records", acks_late=True)
def idempotency_records_purge() -> int:
    return idempotency.idempotency_records_purge()

"""Celery entry points for the credential e-mails (listed in CELERY_IMPORTS): each takes ids,
calls credentials.services.messages, and is safe to run twice (at once, too)."""

from __future__ import annotations

from celery import shared_task

from core.jobs import enqueue
from credentials.services import messages, recognition_messages


@shared_task(
    name=messages.SEND_TASK,
    acks_late=True,
    autoretry_for=(OSError,),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=8,
)
def credential_message_send(message_id: int) -> bool:
    """One outbox e-mail. Mail-server trouble (OSError, smtplib's errors among them) retries with
    back-off; the message's claim is released so the retry can take it."""
    return messages.message_send(message_id=message_id)


@shared_task(
    name=messages.SEND_MANY_TASK,
    acks_late=True,
    autoretry_for=(OSError,),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=8,
)
def credential_messages_send(message_ids: list[int]) -> int:
    """A batch's e-mails (one job for the credentials issued together). A retry sends only what
    is not sent yet; how many were sent."""
    return len(messages.messages_send(message_ids=message_ids))


@shared_task(name=messages.SWEEP_TASK, acks_late=True)
def credential_messages_sweep() -> int:
    """Every minute (CELERY_BEAT_SCHEDULE): ask again for the e-mails the broker missed."""
    due = messages.messages_due()
    for message_id in due:
        enqueue(messages.SEND_TASK, message_id)
    return len(due)


@shared_task(
    name=recognition_messages.SEND_TASK,
    acks_late=True,
    autoretry_for=(OSError,),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=8,
)
def recognition_message_send(message_id: int) -> bool:
    """One e-mail telling a learner of staff's decision on their prior learning."""
    return recognition_messages.recognition_message_send(message_id=message_id)


@shared_task(name=recognition_messages.SWEEP_TASK, acks_late=True)
def recognition_messages_sweep() -> int:
    """Every minute (CELERY_BEAT_SCHEDULE): ask again for the e-mails the broker missed."""
    due = recognition_messages.recognition_messages_due()
    for message_id in due:
        enqueue(recognition_messages.SEND_TASK, message_id)
    return len(due)

"""E-mails telling a learner about their credential, through the outbox (CredentialMessage).

The transaction that issues, suspends, reinstates or revokes a credential writes the row; once
it commits, the "credentials.send_message" task is asked to send it, and the minute sweep
(credentials.messages_sweep) asks again for any row the broker missed. Sending claims the row
first (a conditional UPDATE), so two workers never send one message, and no lock is held while
the mail server answers: `sent_at` is set once the server has accepted it, and a refusal
releases the claim for the job's retry or the sweep (enrollment.services.messages does the same).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from core.mail import deliver_now
from credentials import presenters
from credentials.models import CredentialMessage, MessageKind
from tenants.brand import Brand
from tenants.mail import branded_email, site_url

logger = logging.getLogger(__name__)

CLAIM_TIMEOUT = timedelta(minutes=5)  # a claim not marked sent after this long is tried again
SWEEP_AFTER = timedelta(minutes=1)  # fresh rows are left to their own after-commit task
MAX_ATTEMPTS = 10
SEND_TASK = "credentials.send_message"  # credentials.messages_tasks.credential_message_send
SWEEP_TASK = "credentials.messages_sweep"


def messages_due(*, now: datetime | None = None) -> list[int]:
    """Unsent messages older than a minute, not being sent right now (or whose sender died)."""
    now = now or timezone.now()
    return list(
        CredentialMessage.objects.filter(
            sent_at__isnull=True, created_at__lte=now - SWEEP_AFTER, attempts__lt=MAX_ATTEMPTS
        )
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lte=now - CLAIM_TIMEOUT))
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)[:500]
    )


def _claim(message_id: int, now: datetime) -> bool:
    claimed = (
        CredentialMessage.objects.filter(pk=message_id, sent_at__isnull=True)
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lte=now - CLAIM_TIMEOUT))
        .update(claimed_at=now, attempts=F("attempts") + 1)
    )
    return claimed == 1


def message_send(*, message_id: int, now: datetime | None = None) -> bool:
    """Send one outbox message once. False when it was sent already, another worker has it, or
    there is no such message."""
    now = now or timezone.now()
    if not _claim(message_id, now):
        return False
    message = CredentialMessage.objects.select_related(
        "credential__learner", "credential__unit__tenant", "credential__microcredential", "tenant"
    ).get(pk=message_id)
    try:
        _deliver(message)
    except Exception:
        # Let the claim lapse at once so the retry (or the sweep) can send it.
        CredentialMessage.objects.filter(pk=message_id).update(claimed_at=None)
        raise
    CredentialMessage.objects.filter(pk=message_id).update(sent_at=timezone.now())
    return True


def _reason(message: CredentialMessage) -> str:
    """Why it was suspended or revoked: the reason of the event this message tells of (a late
    "suspended" mail keeps the suspension's reason after a revocation), else the current one."""
    if message.kind not in (MessageKind.SUSPENDED, MessageKind.REVOKED):
        return ""
    event = (
        message.credential.events.filter(action=message.kind, at__lte=message.created_at)
        .order_by("-at", "-pk")
        .first()
    )
    if event is not None and event.reason:
        return event.reason
    return message.credential.status_reason


def _deliver(message: CredentialMessage) -> None:
    credential = message.credential
    base = site_url(message.tenant)
    tz = ZoneInfo(message.tenant.time_zone)
    card = presenters.credential_card(credential, base_url=base, tz=tz)
    context: dict[str, Any] = {
        "learner": credential.learner,
        "card": card,
        "title": card.title,
        "unit_name": card.unit_name,
        "reason": _reason(message),
        "share_url": card.share_url,
        "my_credentials_url": base + reverse("my-credentials"),
        "linkedin_url": card.linkedin_url,
    }
    deliver_now(
        branded_email(
            brand=Brand.of_unit(credential.unit),
            to=[credential.learner.email],
            template_prefix=f"credentials/email/{message.kind}",
            context=context,
            language=settings.LANGUAGE_CODE,
        )
    )

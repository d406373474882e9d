"""E-mails telling a learner about their credential, through the outbox (CredentialMessage).

The transaction that issues, suspends, reinstates or revokes a credential writes the row
(`message_queue`); once it commits, the "credentials.send_message" task is asked to send it, and
the minute sweep (credentials.messages_sweep) asks again for any row the broker missed. Sending
claims the row first and sends it once (core.outbox, as enrollment's e-mails).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.urls import reverse

from core.jobs import enqueue_after_commit
from core.mail import deliver_now
from core.outbox import Outbox
from credentials import presenters
from credentials.models import Credential, CredentialMessage, MessageKind
from tenants.brand import Brand
from tenants.mail import branded_email, site_url

logger = logging.getLogger(__name__)

SEND_TASK = "credentials.send_message"  # credentials.messages_tasks.credential_message_send
SEND_MANY_TASK = "credentials.send_messages"  # a batch's: credential_messages_send
SWEEP_TASK = "credentials.messages_sweep"


outbox: Outbox[CredentialMessage] = Outbox(
    CredentialMessage,
    related=("credential__learner", "credential__unit__tenant", "credential__microcredential", "tenant"),
)


def message_queue(*, credential: Credential, kind: str) -> CredentialMessage:
    """The outbox row (in the caller's transaction), sent after commit."""
    message = CredentialMessage.objects.create(
        tenant_id=credential.tenant_id, credential=credential, kind=kind
    )
    enqueue_after_commit(SEND_TASK, message.pk)
    return message


def messages_due(*, now: datetime | None = None) -> list[int]:
    """Unsent messages older than a minute, not being sent right now (or whose sender died)."""
    return outbox.due(now=now)


def message_send(*, message_id: int, now: datetime | None = None) -> bool:
    """Send one outbox message once. False when it was sent already, another worker has it, or
    there is no such message."""
    return outbox.send_once(message_id, deliver=_deliver, now=now)


def messages_send(*, message_ids: list[int], now: datetime | None = None) -> list[int]:
    """Send each of these outbox messages once (those sent already, or that another worker has,
    are left alone); the ids sent now. A failure is raised after the others were sent."""
    return outbox.send_many(message_ids, deliver=_deliver, now=now)


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

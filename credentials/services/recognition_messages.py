"""E-mails telling a learner of staff's decision on their prior learning, through the outbox
(RecognitionMessage), as credentials.services.messages does for credentials.

The decision's transaction writes the row (`recognition_message_queue`); after commit the task
"credentials.send_recognition_message" sends it once (core.outbox), and the minute sweep
(credentials.recognition_messages_sweep) asks again for any row the broker missed. In the brand
of the unit running the part (the tenant's, for a refusal that named no part).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.urls import reverse

from core.jobs import enqueue_after_commit
from core.mail import deliver_now
from core.outbox import Outbox
from credentials.models import Recognition, RecognitionMessage
from tenants.brand import Brand
from tenants.mail import branded_email, site_url

SEND_TASK = "credentials.send_recognition_message"  # credentials.messages_tasks
SWEEP_TASK = "credentials.recognition_messages_sweep"

outbox: Outbox[RecognitionMessage] = Outbox(
    RecognitionMessage,
    related=("recognition__learner", "recognition__part__unit__tenant", "tenant"),
)


def recognition_message_queue(*, recognition: Recognition, kind: str) -> RecognitionMessage:
    """The outbox row (in the caller's transaction), sent after commit."""
    message = RecognitionMessage.objects.create(
        tenant_id=recognition.tenant_id, recognition=recognition, kind=kind
    )
    enqueue_after_commit(SEND_TASK, message.pk)
    return message


def recognition_messages_due(*, now: datetime | None = None) -> list[int]:
    return outbox.due(now=now)


def recognition_message_send(*, message_id: int, now: datetime | None = None) -> bool:
    """Send one outbox message once. False when it was sent already, another worker has it, or
    there is no such message."""
    return outbox.send_once(message_id, deliver=_deliver, now=now)


def _deliver(message: RecognitionMessage) -> None:
    recognition = message.recognition
    part = recognition.part
    brand = Brand.of_unit(part.unit) if part is not None else Brand.of_tenant(message.tenant)
    base = site_url(message.tenant)
    context: dict[str, Any] = {
        "learner": recognition.learner,
        "title": recognition.achievement_name or recognition.kind,
        "issuer_name": recognition.issuer_name or recognition.issuer_id,
        "part_title": part.title if part is not None else "",
        "unit_name": brand.name,
        "reason": recognition.reason,
        "prior_learning_url": base + reverse("my-prior-learning"),
        "my_credentials_url": base + reverse("my-credentials"),
    }
    deliver_now(
        branded_email(
            brand=brand,
            to=[recognition.learner.email],
            template_prefix=f"credentials/email/recognition_{message.kind}",
            context=context,
            language=settings.LANGUAGE_CODE,
        )
    )

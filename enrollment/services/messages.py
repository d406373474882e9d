"""E-mails about enrollments, through an outbox.

The transaction that changes an enrollment writes an EnrollmentMessage row; once it commits, a
Celery task is asked to send it (core.jobs.enqueue_after_commit). If the broker is down at that moment
the row waits, and the minute sweep (tasks.enrollments_expire_and_promote) asks again. Sending
claims the row first and sends it once (core.outbox); the worker hands the mail to the mail
server itself (core.mail.deliver_now).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from core.dates import date_time
from core.jobs import enqueue_after_commit
from core.mail import deliver_now
from core.outbox import Outbox
from enrollment import extensions
from enrollment.models import Enrollment, EnrollmentMessage, MessageKind
from enrollment.selectors import waitlist_position
from tenants.brand import Brand
from tenants.mail import branded_email, site_url

logger = logging.getLogger(__name__)

OFFER_SALT = "enrollment.offer"
SEND_TASK = "enrollment.send_message"  # enrollment.tasks.enrollment_message_send


def message_queue(*, enrollment: Enrollment, kind: str, now: datetime | None = None) -> EnrollmentMessage:
    """Write the outbox row (inside the caller's transaction) and ask for it after commit."""
    message = EnrollmentMessage.objects.create(
        tenant_id=enrollment.tenant_id, enrollment=enrollment, kind=kind, created_at=now or timezone.now()
    )
    enqueue_after_commit(SEND_TASK, message.pk)
    return message


outbox: Outbox[EnrollmentMessage] = Outbox(
    EnrollmentMessage,
    related=("enrollment__learner", "enrollment__offering__microcredential__unit", "tenant"),
)


def messages_due(*, now: datetime | None = None) -> list[int]:
    """Unsent messages older than a minute, not being sent right now (or whose sender died)."""
    return outbox.due(now=now)


def message_send(*, message_id: int, now: datetime | None = None) -> bool:
    """Send one outbox message once. False when it was sent already or another worker has it."""
    return outbox.send_once(message_id, deliver=_deliver, now=now)


def offer_token(enrollment: Enrollment) -> str:
    """The e-mailed link's proof: it names one enrollment of one tenant, and only reaches it."""
    return signing.dumps({"e": enrollment.pk, "t": enrollment.tenant_id}, salt=OFFER_SALT)


def offer_from_token(token: str) -> tuple[int, int] | None:
    """(tenant id, enrollment id) named by an offer link, or None if it was tampered with."""
    try:
        data = signing.loads(token, salt=OFFER_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("e"), int) or not isinstance(data.get("t"), int):
        return None
    return data["t"], data["e"]


def _deliver(message: EnrollmentMessage) -> None:
    enrollment = message.enrollment
    offering = enrollment.offering
    unit = offering.microcredential.unit
    brand = Brand.of_unit(unit)
    base = site_url(message.tenant)
    tz = offering.tz
    last_event = enrollment.events.order_by("-at", "-pk").first()
    context: dict[str, Any] = {
        "last_event": last_event,
        "reason": last_event.reason
        if last_event and message.kind in (MessageKind.CANCELLED, MessageKind.MOVED)
        else "",
        "learner": enrollment.learner,
        "enrollment": enrollment,
        "offering": offering,
        "title": offering.microcredential.title,
        "starts": date_time(offering.starts_at, tz),
        "time_zone": offering.time_zone,
        "my_learning_url": base + reverse("my-learning"),
        "offering_url": base + reverse("offering-detail", args=[offering.pk]),
    }
    if message.kind == MessageKind.OFFERED and enrollment.offer_expires_at is not None:
        context["offer_url"] = base + reverse("offer", args=[offer_token(enrollment)])
        context["offer_expires"] = date_time(enrollment.offer_expires_at, tz)
    if message.kind == MessageKind.WAITLISTED:
        context["position"] = waitlist_position(enrollment)
    if message.kind == MessageKind.CANCELLED:
        context["notes"] = extensions.cancellation_notes(enrollment=enrollment)
    if message.kind == MessageKind.HELD and enrollment.hold_expires_at is not None:
        context["hold_expires"] = date_time(enrollment.hold_expires_at, tz)
    deliver_now(
        branded_email(
            brand=brand,
            to=[enrollment.learner.email],
            template_prefix=f"enrollment/email/{message.kind}",
            context=context,
            language=settings.LANGUAGE_CODE,
        )
    )

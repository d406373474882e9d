"""E-mails about enrollments, through an outbox.

The transaction that changes an enrollment writes an EnrollmentMessage row; once it commits, a
Celery task is asked to send it (core.jobs.enqueue_after_commit). If the broker is down at that moment
the row waits, and the minute sweep (tasks.enrollments_expire_and_promote) asks again. Sending
claims the row first and sends it once (core.outbox); the worker hands the mail to the mail
server itself (core.mail.deliver_now).

Reminders (services.reminders) are outbox rows of their own kinds, at most one per enrollment
and kind; at sending they are checked against the enrollment as it is then (reminder_still_due)
and carry a signed "Turn off reminders" link (reminders_off_token), also as List-Unsubscribe.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from core.dates import date_time
from core.jobs import enqueue_after_commit
from core.mail import deliver_now
from core.outbox import Outbox
from enrollment import extensions
from enrollment.models import REMINDER_KINDS, Enrollment, EnrollmentMessage, EnrollmentStatus, MessageKind
from enrollment.selectors import waitlist_position
from learners.models import ReminderOptOut
from tenants.brand import Brand
from tenants.mail import branded_email, site_url

logger = logging.getLogger(__name__)

OFFER_SALT = "enrollment.offer"
REMINDERS_OFF_SALT = "enrollment.reminders-off"
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


@dataclass(frozen=True)
class RemindersOff:
    """What a "Turn off reminders" link names: one learner at one tenant (and the unit whose
    brand the page wears)."""

    tenant_id: int
    user_id: int
    unit_id: int | None


def reminders_off_token(*, tenant_id: int, user_id: int, unit_id: int | None = None) -> str:
    """The "Turn off reminders" link's proof: it works without signing in, for that learner only."""
    return signing.dumps({"u": user_id, "t": tenant_id, "n": unit_id}, salt=REMINDERS_OFF_SALT)


def reminders_off_from_token(token: str) -> RemindersOff | None:
    """What a "Turn off reminders" link names, or None if it was tampered with."""
    try:
        data = signing.loads(token, salt=REMINDERS_OFF_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int) or not isinstance(data.get("t"), int):
        return None
    unit_id = data.get("n")
    return RemindersOff(data["t"], data["u"], unit_id if isinstance(unit_id, int) else None)


def reminder_still_due(message: EnrollmentMessage, *, now: datetime | None = None) -> bool:
    """At sending (the worker, after commit; later if the broker was down): the reminder still
    makes sense. A learner who acted or turned reminders off meanwhile, or a hold, offer or course
    whose moment has passed, gets nothing."""
    now = now or timezone.now()
    enrollment = message.enrollment
    if ReminderOptOut.objects.filter(tenant_id=message.tenant_id, user_id=enrollment.learner_id).exists():
        return False
    if message.kind == MessageKind.HOLD_REMINDER:
        expires = enrollment.hold_expires_at
        return enrollment.status == EnrollmentStatus.HELD and expires is not None and now < expires
    if message.kind == MessageKind.OFFER_REMINDER:
        expires = enrollment.offer_expires_at
        return enrollment.status == EnrollmentStatus.OFFERED and expires is not None and now < expires
    return enrollment.status == EnrollmentStatus.CONFIRMED and now < enrollment.offering.starts_at


def _reminder_context(message: EnrollmentMessage, base: str) -> dict[str, Any]:
    """The reminder's links: pay (a held seat; payments' page by URL name, My learning without
    it), the course's links from the apps above (access: "Go to your course", "Add to
    calendar"), and "Turn off reminders"."""
    enrollment = message.enrollment
    context: dict[str, Any] = {
        "reminders_off_url": base
        + reverse(
            "reminders-off",
            args=[
                reminders_off_token(
                    tenant_id=message.tenant_id,
                    user_id=enrollment.learner_id,
                    unit_id=enrollment.offering.microcredential.unit_id,
                )
            ],
        )
    }
    if message.kind == MessageKind.HOLD_REMINDER:
        try:
            context["pay_url"] = base + reverse("order-checkout-held", args=[enrollment.pk])
        except NoReverseMatch:  # payments not installed
            context["pay_url"] = base + reverse("my-learning")
    if message.kind == MessageKind.START_REMINDER:
        extra = extensions.extras_for(
            tenant=message.tenant, learner=enrollment.learner, enrollment_ids=[enrollment.pk]
        ).get(enrollment.pk)
        context["course_links"] = [(label, base + url) for label, url in (extra.links if extra else ())]
    return context


def _with_unsubscribe(email: EmailMultiAlternatives, url: str) -> EmailMultiAlternatives:
    """RFC 8058 one-click: a mail client's "Unsubscribe" POSTs to the same signed link."""
    email.extra_headers["List-Unsubscribe"] = f"<{url}>"
    email.extra_headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return email


def _deliver(message: EnrollmentMessage) -> None:
    if message.kind in REMINDER_KINDS and not reminder_still_due(message):
        # Marked sent by the outbox without a mail: the learner acted (or the moment passed).
        logger.info(
            "reminder %s for enrollment %s no longer due: not sent", message.pk, message.enrollment_id
        )
        return
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
    if message.kind in (MessageKind.OFFERED, MessageKind.OFFER_REMINDER) and enrollment.offer_expires_at:
        context["offer_url"] = base + reverse("offer", args=[offer_token(enrollment)])
        context["offer_expires"] = date_time(enrollment.offer_expires_at, tz)
    if message.kind == MessageKind.WAITLISTED:
        context["position"] = waitlist_position(enrollment)
    if message.kind == MessageKind.CANCELLED:
        context["notes"] = extensions.cancellation_notes(enrollment=enrollment)
    if message.kind in (MessageKind.HELD, MessageKind.HOLD_REMINDER) and enrollment.hold_expires_at:
        context["hold_expires"] = date_time(enrollment.hold_expires_at, tz)
    if message.kind in REMINDER_KINDS:
        context.update(_reminder_context(message, base))
    email = branded_email(
        brand=brand,
        to=[enrollment.learner.email],
        template_prefix=f"enrollment/email/{message.kind}",
        context=context,
        language=settings.LANGUAGE_CODE,
    )
    if message.kind in REMINDER_KINDS:
        email = _with_unsubscribe(email, context["reminders_off_url"])
    deliver_now(email)

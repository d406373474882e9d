"""E-mails about enrollments, through an outbox.

The transaction that changes an enrollment writes an EnrollmentMessage row; once it commits, a
Celery task is asked to send it (`transaction.on_commit`). If the broker is down at that moment
the row waits, and the minute sweep (tasks.enrollments_sweep) asks again. Sending claims the
row first (a conditional UPDATE), so two workers never send one message at the same time, and
no lock is held while the mail server answers.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from email.utils import formataddr, parseaddr
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from catalog.presenters import date_time
from enrollment import extensions
from enrollment.models import Enrollment, EnrollmentMessage, MessageKind
from tenants.brand import Brand
from tenants.models import Domain, Tenant

logger = logging.getLogger(__name__)

# A claimed message not marked sent after this long is tried again (the worker died mid-send).
CLAIM_TIMEOUT = timedelta(minutes=5)
# The sweep leaves fresh messages to their own after-commit task.
SWEEP_AFTER = timedelta(minutes=1)
MAX_ATTEMPTS = 10
OFFER_SALT = "enrollment.offer"


def message_queue(*, enrollment: Enrollment, kind: str, now: datetime | None = None) -> EnrollmentMessage:
    """Write the outbox row (inside the caller's transaction) and ask for it after commit."""
    message = EnrollmentMessage.objects.create(
        tenant_id=enrollment.tenant_id, enrollment=enrollment, kind=kind, created_at=now or timezone.now()
    )
    transaction.on_commit(lambda: enqueue(message.pk))
    return message


def enqueue(message_id: int) -> None:
    from enrollment import tasks  # tasks imports the services

    try:
        tasks.enrollment_message_send.delay(message_id)
    except Exception:  # the broker being down must not fail a committed change; the sweep resends
        logger.exception("could not enqueue enrollment message %s; the sweep will", message_id)


def messages_due(*, now: datetime | None = None) -> list[int]:
    """Unsent messages older than a minute, not being sent right now (or whose sender died)."""
    now = now or timezone.now()
    return list(
        EnrollmentMessage.objects.filter(
            sent_at__isnull=True, created_at__lte=now - SWEEP_AFTER, attempts__lt=MAX_ATTEMPTS
        )
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lte=now - CLAIM_TIMEOUT))
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)[:500]
    )


def _claim(message_id: int, now: datetime) -> bool:
    claimed = (
        EnrollmentMessage.objects.filter(pk=message_id, sent_at__isnull=True)
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lte=now - CLAIM_TIMEOUT))
        .update(claimed_at=now, attempts=F("attempts") + 1)
    )
    return claimed == 1


def message_send(*, message_id: int, now: datetime | None = None) -> bool:
    """Send one outbox message once. False when it was sent already or another worker has it."""
    now = now or timezone.now()
    if not _claim(message_id, now):
        return False
    message = EnrollmentMessage.objects.select_related(
        "enrollment__learner", "enrollment__offering__microcredential__unit", "tenant"
    ).get(pk=message_id)
    try:
        _deliver(message)
    except Exception:
        # Let the claim lapse at once so the retry (or the sweep) can send it.
        EnrollmentMessage.objects.filter(pk=message_id).update(claimed_at=None)
        raise
    EnrollmentMessage.objects.filter(pk=message_id).update(sent_at=timezone.now())
    return True


def site_url(tenant: Tenant) -> str:
    """The tenant's own address, for links in e-mails sent outside any request."""
    domain = Domain.objects.filter(tenant=tenant, is_primary=True).values_list("host", flat=True).first()
    host = domain or "localhost"
    port = settings.PUBLIC_PORT
    scheme = "https" if settings.HTTPS else "http"
    return f"{scheme}://{host}{':' + str(port) if port else ''}"


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
        "brand": brand,
        "starts": date_time(offering.starts_at, tz),
        "time_zone": offering.time_zone,
        "my_learning_url": base + reverse("my-learning"),
        "offering_url": base + reverse("offering-detail", args=[offering.pk]),
    }
    if message.kind == MessageKind.OFFERED and enrollment.offer_expires_at is not None:
        context["offer_url"] = base + reverse("offer", args=[offer_token(enrollment)])
        context["offer_expires"] = date_time(enrollment.offer_expires_at, tz)
    if message.kind == MessageKind.WAITLISTED:
        from enrollment.services.enroll import waitlist_position  # enroll imports this module

        context["position"] = waitlist_position(enrollment)
    if message.kind == MessageKind.CANCELLED:
        context["notes"] = extensions.cancellation_notes(enrollment=enrollment)
    if message.kind == MessageKind.HELD and enrollment.hold_expires_at is not None:
        context["hold_expires"] = date_time(enrollment.hold_expires_at, tz)
    with translation.override(settings.LANGUAGE_CODE):
        subject = render_to_string(f"enrollment/email/{message.kind}_subject.txt", context).strip()
        body = render_to_string(f"enrollment/email/{message.kind}_message.txt", context)
    _name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    EmailMessage(
        subject=f"[{brand.name}] {subject}",
        body=body,
        from_email=formataddr((brand.name, address)),
        to=[enrollment.learner.email],
        reply_to=[brand.contact_email] if brand.contact_email else None,
    ).send()

"""Reminders: a held seat or an offered seat about to expire, a confirmed course about to start.

Each (enrollment, kind) is reminded at most once, ever. The reminder *is* the outbox row
(EnrollmentMessage of a reminder kind): a partial unique index on (enrollment, kind) for those
kinds makes a second one impossible, and the row is written in the transaction that re-reads the
enrollment under its row lock, so the e-mail is queued only if the learner has not acted (paid,
cancelled, accepted, declined) by then. The message itself is built from the state at sending
(messages._deliver), and one whose learner acted meanwhile is not sent (messages.reminder_still_due).

When (docs/reminders.md):
- a held seat: when a quarter of the hold is left, at most 30 minutes before it expires (a
  30-minute hold: 7½ minutes before); holds shorter than 20 minutes get none (the learner is
  still at the checkout, and the lead would be shorter than the sweep's 5 minutes);
- an offered seat: when a quarter of the offer window is left, at most 12 hours before it
  expires (48 h: 12 h before; 8 h: 2 h before); windows shorter than 4 hours get none;
- a confirmed seat: from 09:00 on the day three days before the course's first day, in the
  offering's time zone, until it starts; not to a learner confirmed after that moment (their
  confirmation has just told them the start).
Neither expiry reminder goes out with less than 2 minutes left. A learner who turned reminders
off (learners.ReminderOptOut) gets none; other e-mails are not reminders and still go.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from enrollment.models import Enrollment, EnrollmentMessage, EnrollmentStatus, MessageKind
from enrollment.services.messages import message_queue
from learners.models import ReminderOptOut

logger = logging.getLogger(__name__)
S = EnrollmentStatus


@dataclass(frozen=True)
class ExpiryRule:
    """Remind when `share` of the state's length is left, at most `most` before the end; never for
    a length under `shortest`, nor with less than `least` left."""

    share: float
    most: timedelta
    shortest: timedelta
    least: timedelta = timedelta(minutes=2)

    def lead(self, length: timedelta) -> timedelta | None:
        if length < self.shortest:
            return None
        return min(self.most, length * self.share)


HOLD_RULE = ExpiryRule(share=0.25, most=timedelta(minutes=30), shortest=timedelta(minutes=20))
OFFER_RULE = ExpiryRule(share=0.25, most=timedelta(hours=12), shortest=timedelta(hours=4))
START_DAYS_BEFORE = 3
START_LOCAL_TIME = time(9, 0)
# Candidates are read a little wider than any reminder's window, then judged one by one.
START_LOOKAHEAD = timedelta(days=START_DAYS_BEFORE + 1)


def start_reminder_at(enrollment: Enrollment) -> datetime:
    """09:00, in the offering's time zone, three days before the course's first day."""
    offering = enrollment.offering
    tz = offering.tz
    first_day = offering.starts_at.astimezone(tz).date()
    return datetime.combine(first_day - timedelta(days=START_DAYS_BEFORE), START_LOCAL_TIME, tzinfo=tz)


def _expiry_due(rule: ExpiryRule, *, since: datetime, expires: datetime, now: datetime) -> bool:
    lead = rule.lead(expires - since)
    if lead is None:
        return False
    return expires - lead <= now <= expires - rule.least


def reminder_due(enrollment: Enrollment, kind: str, *, now: datetime) -> bool:
    """Whether `enrollment`, as it is now, is due the reminder `kind` at `now`. The state's start
    is `updated_at`, which every transition sets (services._common.transition)."""
    if kind == MessageKind.HOLD_REMINDER:
        return (
            enrollment.status == S.HELD
            and enrollment.hold_expires_at is not None
            and _expiry_due(
                HOLD_RULE, since=enrollment.updated_at, expires=enrollment.hold_expires_at, now=now
            )
        )
    if kind == MessageKind.OFFER_REMINDER:
        return (
            enrollment.status == S.OFFERED
            and enrollment.offer_expires_at is not None
            and _expiry_due(
                OFFER_RULE, since=enrollment.updated_at, expires=enrollment.offer_expires_at, now=now
            )
        )
    if kind == MessageKind.START_REMINDER:
        at = start_reminder_at(enrollment)
        return (
            enrollment.status == S.CONFIRMED
            and at <= now < enrollment.offering.starts_at
            and enrollment.updated_at <= at
        )
    raise ValueError(f"not a reminder kind: {kind}")


def _not_reminded(kind: str) -> Q:
    reminded = EnrollmentMessage.objects.filter(enrollment=OuterRef("pk"), kind=kind)
    opted_out = ReminderOptOut.objects.filter(tenant=OuterRef("tenant_id"), user=OuterRef("learner_id"))
    return ~Q(Exists(reminded)) & ~Q(Exists(opted_out))


def _candidates(kind: str, now: datetime) -> QuerySet[Enrollment]:
    rows = Enrollment.objects.select_related("offering")
    if kind == MessageKind.HOLD_REMINDER:
        rows = rows.filter(status=S.HELD, hold_expires_at__gt=now, hold_expires_at__lte=now + HOLD_RULE.most)
    elif kind == MessageKind.OFFER_REMINDER:
        rows = rows.filter(
            status=S.OFFERED, offer_expires_at__gt=now, offer_expires_at__lte=now + OFFER_RULE.most
        )
    else:
        rows = rows.filter(
            status=S.CONFIRMED, offering__starts_at__gt=now, offering__starts_at__lte=now + START_LOOKAHEAD
        )
    return rows.filter(_not_reminded(kind)).order_by("pk")


def reminder_queue(*, tenant_id: int, enrollment_id: int, kind: str, now: datetime | None = None) -> bool:
    """Queue one reminder if it is due, under the enrollment's row lock; True when queued.

    The lock (FOR NO KEY UPDATE, the lock every transition's UPDATE takes) waits for a change in
    flight and makes the re-read see it: a learner who paid, cancelled, accepted or declined is
    not reminded. Only this one row is locked and nothing else is waited for while it is held, so
    it cannot deadlock with the offering-then-enrollments order of the other writers. A second
    sweep at the same moment waits here, then sees the first one's row; the unique index is the
    backstop."""
    now = now or timezone.now()
    with transaction.atomic():
        enrollment = (
            Enrollment.objects.select_for_update(no_key=True, of=("self",))
            .select_related("offering")
            .filter(tenant_id=tenant_id, pk=enrollment_id)
            .first()
        )
        if enrollment is None or not reminder_due(enrollment, kind, now=now):
            return False
        if EnrollmentMessage.objects.filter(enrollment=enrollment, kind=kind).exists():
            return False
        if ReminderOptOut.objects.filter(tenant_id=tenant_id, user_id=enrollment.learner_id).exists():
            return False
        try:
            with transaction.atomic():
                message_queue(enrollment=enrollment, kind=kind, now=now)
        except IntegrityError:  # another sweep's reminder won: it is the one sent
            return False
    return True


def reminders_due(*, now: datetime | None = None) -> dict[str, int]:
    """The sweep (enrollment.remind_due, every 5 minutes): queue every reminder due at `now`.
    Returns how many of each kind were queued."""
    now = now or timezone.now()
    queued: dict[str, int] = {}
    for kind in (MessageKind.HOLD_REMINDER, MessageKind.OFFER_REMINDER, MessageKind.START_REMINDER):
        count = 0
        for enrollment in _candidates(kind, now):
            if not reminder_due(enrollment, kind, now=now):
                continue
            try:
                if reminder_queue(
                    tenant_id=enrollment.tenant_id, enrollment_id=enrollment.pk, kind=kind, now=now
                ):
                    count += 1
            except Exception:  # one bad row must not stop everyone else's reminders
                logger.exception("queueing %s for enrollment %s failed", kind, enrollment.pk)
        queued[str(kind.value)] = count
    return queued

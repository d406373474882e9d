"""Enrolling: a seat (confirmed when free, held while the learner pays), else the wait-list.

One read and one short transaction. The read (`_offering_for`) is one ORM statement: the
offering with only the columns enrolling uses, its microcredential and unit (select_related), the
learner's active enrollment there and whether anyone waits (two RawSQL columns).

The transaction takes the seat first, with the catalog's one conditional UPDATE
(`offering_seats_take`: `seats_taken + 1 <= capacity`, which waits for the offering's row lock
and re-checks), then writes the enrollment and its event (`_common.record`) through the ORM.
The offering's row lock is held from that UPDATE to the commit, so nothing else is done in
between: no read, no rendering beyond the caller's answer (idempotency.answer_once stores it
last). A learner who gets no seat waits without taking the offering's lock; the wait-list place
is the wait-list count as their own INSERT left it (WaitlistCount: its trigger counts them in
under the count's row lock, held to the commit, and writes the count into the row, which the
INSERT returns), so that INSERT is the join's last write (`_wait`). While anyone is waiting,
newcomers join the wait-list behind them even if a seat shows free for a moment (it is being
offered to the head).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, connection, transaction
from django.db.models import BooleanField, CharField
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import Offering, PublicationStatus
from catalog.services import offering_seats_take
from core.dates import date_time
from enrollment.errors import AlreadyEnrolled, EnrollmentClosed, OfferingFull
from enrollment.models import ACTIVE_STATES, Enrollment, EnrollmentStatus, MessageKind
from enrollment.services._common import hold_expiry, record
from enrollment.services.messages import message_queue
from enrollment.services.waitlist import promote_if_free
from identity.models import User
from tenants.errors import NotVisible
from tenants.models import Tenant

S = EnrollmentStatus
UNIQUE_ACTIVE = "enrollment_one_active_per_learner"

# What enrolling, its e-mails and the API's answer read of the offering (a deferred column read
# later would cost a query of its own: tests/enrollment/test_enroll_read.py counts them).
OFFERING_FIELDS = (
    "tenant",
    "microcredential__title",
    "microcredential__status",
    "microcredential__unit__is_active",
    "cohort_label",
    "starts_at",
    "ends_at",
    "time_zone",
    "enrollment_opens_at",
    "enrollment_closes_at",
    "capacity",
    "seats_taken",
    "price_minor",
    "currency",
    "seat_hold_minutes",
    "waitlist_enabled",
    "status",
)


@dataclass(frozen=True)
class Enrolled:
    enrollment: Enrollment  # with .offering (OFFERING_FIELDS) and .learner
    waitlist_position: int | None  # a wait-list entry's place (1: next in line)


@dataclass(frozen=True)
class ForEnroll:
    offering: Offering  # OFFERING_FIELDS, with .microcredential and its .unit
    mine_status: str | None  # the learner's active enrollment there, if any
    someone_waits: bool


# The read's two per-learner columns (offering_for_enroll); constant SQL, the values are bound.
_MINE_STATUS = (
    'SELECT e.status FROM enrollment_enrollment e WHERE e.offering_id = "catalog_offering"."id" '
    "AND e.learner_id = %s AND e.status = ANY(%s) LIMIT 1"
)
_SOMEONE_WAITS = (
    "COALESCE((SELECT c.waiting > 0 FROM enrollment_waitlistcount c "
    'WHERE c.offering_id = "catalog_offering"."id"), false)'
)


def offering_for_enroll(*, tenant: Tenant, offering_id: int, learner: User) -> ForEnroll | None:
    """The offering as enrolling reads it, with the learner's active enrollment there and
    whether anyone waits: one statement.

    The two per-learner columns are RawSQL, not Subquery/Exists: built and compiled by the ORM
    on every request those two cost about 2 ms of the read's 6 (bench/profile_enroll.py), the
    largest Python cost of enrolling; the rest of the read is the ORM's."""
    offering = (
        Offering.objects.filter(tenant=tenant, pk=offering_id)
        .select_related("microcredential__unit")
        .only(*OFFERING_FIELDS)
        .annotate(
            # The learner's active enrollment (the unique index of offering and learner's active
            # enrollments) and the wait-list count's one row.
            mine_status=RawSQL(_MINE_STATUS, (learner.pk, sorted(ACTIVE_STATES)), output_field=CharField()),  # noqa: S611
            someone_waits=RawSQL(_SOMEONE_WAITS, (), output_field=BooleanField()),  # noqa: S611
        )
        .order_by()
        .first()
    )
    if offering is None:
        return None
    return ForEnroll(offering, offering.mine_status, offering.someone_waits)


def _offering_for(*, tenant: Tenant, offering_id: int, learner: User, by_staff: bool) -> ForEnroll:
    found = offering_for_enroll(tenant=tenant, offering_id=offering_id, learner=learner)
    if found is None:
        raise NotVisible(_("No such offering."))
    offering = found.offering
    microcredential = offering.microcredential
    archived = PublicationStatus.ARCHIVED in (offering.status, microcredential.status)
    public = (
        offering.status == PublicationStatus.PUBLISHED
        and microcredential.status == PublicationStatus.PUBLISHED
        and microcredential.unit.is_active
    )
    if not public and not archived and not by_staff:
        raise NotVisible(_("No such offering."))
    if archived:
        raise EnrollmentClosed(_("This offering is archived: it no longer takes enrollments."))
    return found


def _check_window(offering: Offering, now: datetime) -> None:
    tz = offering.tz
    if now < offering.enrollment_opens_at:
        raise EnrollmentClosed(
            _("Enrollment opens on %(when)s (%(tz)s).")
            % {"when": date_time(offering.enrollment_opens_at, tz), "tz": offering.time_zone}
        )
    if now >= offering.enrollment_closes_at:
        raise EnrollmentClosed(
            _("Enrollment closed on %(when)s (%(tz)s).")
            % {"when": date_time(offering.enrollment_closes_at, tz), "tz": offering.time_zone}
        )


def already_enrolled(status: str) -> AlreadyEnrolled:
    messages = {
        S.CONFIRMED: _("You are already enrolled in this offering."),
        S.COMPLETED: _("You have already completed this offering."),
        S.HELD: _("A seat is already held for you in this offering: pay to confirm it."),
        S.OFFERED: _("A seat in this offering is already offered to you: accept or decline it."),
        S.WAITLISTED: _("You are already on this offering's wait-list."),
    }
    return AlreadyEnrolled(messages.get(S(status), _("You are already enrolled in this offering.")))


def enrollment_create(
    *,
    tenant: Tenant,
    learner: User,
    offering_id: int,
    actor: User | None = None,
    by_staff: bool = False,
    reason: str = "",
    now: datetime | None = None,
) -> Enrolled:
    """Enroll `learner`: confirmed (free) or held (paid) if a seat is free and nobody waits,
    else on the wait-list, else OfferingFull. Staff (`by_staff`) may enroll outside the window.

    Inside a caller's transaction (idempotency.answer_once) it adds no savepoint: a refusal
    ends that transaction, as it should (nothing of the request may stay).

    Refusals: NotVisible (404), EnrollmentClosed, AlreadyEnrolled, OfferingFull (409s).
    """
    now = now or timezone.now()
    found = _offering_for(tenant=tenant, offering_id=offering_id, learner=learner, by_staff=by_staff)
    offering = found.offering
    if not by_staff:
        _check_window(offering, now)
    if found.mine_status:
        raise already_enrolled(found.mine_status)
    first_to_wait = not found.someone_waits
    who = actor or learner
    enrolled: Enrolled | None = None
    try:
        with transaction.atomic(savepoint=False):
            if first_to_wait and offering_seats_take(tenant=tenant, offering_id=offering.pk):
                enrolled = _seat(offering, learner, actor=who, by_staff=by_staff, now=now, reason=reason)
            elif offering.waitlist_enabled:
                enrolled = _wait(offering, learner, actor=who, now=now, reason=reason)
    except IntegrityError as exc:
        if UNIQUE_ACTIVE in str(exc):  # the same learner, a moment ago (a double click)
            raise AlreadyEnrolled(_("You are already enrolled or waiting for this offering.")) from None
        raise
    if enrolled is None:  # nothing was written
        raise OfferingFull(_("This offering is full, and it keeps no wait-list."))
    if enrolled.waitlist_position is not None and first_to_wait:
        # A seat may have freed while this row was not yet visible to that seat's promotion
        # (module doc). Behind an earlier waiter, that promotion found the earlier one.
        transaction.on_commit(lambda: promote_if_free(tenant=tenant, offering_id=offering.pk))
    return enrolled


def _insert(
    offering: Offering,
    learner: User,
    *,
    status: str,
    action: str,
    actor: User,
    now: datetime,
    reason: str,
    hold_expires_at: datetime | None = None,
) -> Enrollment:
    """The enrollment row and its event (`arrival` comes back from the INSERT)."""
    enrollment = Enrollment.objects.create(
        tenant_id=offering.tenant_id,
        offering=offering,
        learner=learner,
        status=status,
        hold_expires_at=hold_expires_at,
        created_at=now,
        updated_at=now,
    )
    record(enrollment, actor=actor, action=action, from_status="", to_status=status, now=now, reason=reason)
    return enrollment


def _seat(
    offering: Offering, learner: User, *, actor: User, by_staff: bool, now: datetime, reason: str
) -> Enrolled:
    """A seat was just taken (the offering's row is locked to the commit): its enrollment."""
    status = S.CONFIRMED if offering.is_free else S.HELD
    hold_expires_at = hold_expiry(offering, now) if status == S.HELD else None
    enrollment = _insert(
        offering,
        learner,
        status=status,
        action="enrolled",
        actor=actor,
        now=now,
        reason=reason,
        hold_expires_at=hold_expires_at,
    )
    # Told once, by the outbox: a free seat is confirmed; a seat held by staff for someone who
    # has not asked (they must learn of it, and of how to pay before the hold expires).
    if status == S.CONFIRMED:
        message_queue(enrollment=enrollment, kind=MessageKind.CONFIRMED, now=now)
    elif by_staff:
        message_queue(enrollment=enrollment, kind=MessageKind.HELD, now=now)
    return Enrolled(enrollment, None)


def _wait(offering: Offering, learner: User, *, actor: User, now: datetime, reason: str) -> Enrolled:
    """A place on the wait-list, and which: the count this INSERT left, which the count's
    trigger writes into the row (`joined_place`, returned by the INSERT); the count's row lock
    is held to the commit, so it is exactly how many wait up to and including this learner.

    That lock makes every joiner of the offering wait, so the row is written last: its id is
    taken first, and its event and outbox row go before it (their foreign keys are checked at
    the commit, Django's are DEFERRABLE INITIALLY DEFERRED). After the INSERT come only the
    caller's answer and the COMMIT."""
    enrollment = Enrollment(
        pk=_next_enrollment_id(),
        tenant_id=offering.tenant_id,
        offering=offering,
        learner=learner,
        status=S.WAITLISTED,
        created_at=now,
        updated_at=now,
    )
    record(
        enrollment,
        actor=actor,
        action="joined_waitlist",
        from_status="",
        to_status=S.WAITLISTED,
        now=now,
        reason=reason,
    )
    message_queue(enrollment=enrollment, kind=MessageKind.WAITLISTED, now=now)
    enrollment.save(force_insert=True)  # RETURNING joined_place: the count's trigger set it
    return Enrolled(enrollment, enrollment.joined_place)


def _next_enrollment_id() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id'))", [Enrollment._meta.db_table])
        (next_id,) = cursor.fetchone() or (0,)
    return int(next_id)

"""Enrolling: a seat (confirmed when free, held while the learner pays), else the wait-list.

The seat is the catalog's conditional UPDATE (`seats_taken + 1 <= capacity`), in the same
statement as the enrollment row (the database function `enrollment_insert`): the offering's row
lock is held from that UPDATE to the commit, so the transaction does as little as it can after
it (three INSERTs, and no round trip to this process). A learner who gets no seat waits without
taking the offering's lock. While anyone is waiting, newcomers join the wait-list
behind them even if a seat shows free for a moment (it is being offered to the head).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import Offering, PublicationStatus
from core.dates import date_time
from enrollment.errors import AlreadyEnrolled, EnrollmentClosed, OfferingFull
from enrollment.models import Enrollment, EnrollmentStatus, MessageKind
from enrollment.services import _sql
from enrollment.services._common import hold_expiry
from enrollment.services.idempotency import Keyed, KeyTaken
from enrollment.services.messages import message_queue
from enrollment.services.waitlist import promote_if_free
from identity.models import User
from tenants.errors import NotVisible
from tenants.models import Tenant

S = EnrollmentStatus
UNIQUE_ACTIVE = "enrollment_one_active_per_learner"
KEY_UNIQUE = "idempotency_key_unique"


@dataclass(frozen=True)
class Enrolled:
    enrollment: Enrollment
    waitlist_position: int | None
    answer: dict[str, Any] | None = None  # as stored with the key (StoreAnswer)


@dataclass(frozen=True)
class StoreAnswer:
    """Store the request's answer with its Idempotency-Key in the enrollment's own INSERT (its
    last write: the wait-list count's lock is then held only until the COMMIT). `render` builds
    the answer for the enrollment about to be written (no id yet; a waiting one at place 0); the
    database writes in the id and the place (`waiting_text`: presenters.waitlist_number_format).
    Raises idempotency.KeyTaken when the key already had an answer (nothing is then written).
    Called outside a transaction (idempotent(..., stored_by_run=True)), a wait-list entry and its
    answer are one statement, committed with it."""

    keyed: Keyed
    status: int
    render: Callable[[Enrollment], dict[str, Any]]
    waiting_text: str


def _offering_for(
    *, tenant: Tenant, offering_id: int, learner: User, by_staff: bool
) -> _sql.OfferingForEnroll:
    """The offering, with what enrolling needs to know, in one statement: the learner's active
    enrollment there and whether anyone is waiting."""
    found = _sql.offering_for_enroll(tenant=tenant, offering_id=offering_id, learner_id=learner.pk)
    if found is None:
        raise NotVisible(_("No such offering."))
    offering = found.offering
    microcredential = offering.microcredential
    archived = PublicationStatus.ARCHIVED in (offering.status, microcredential.status)
    public = (
        offering.status == PublicationStatus.PUBLISHED
        and microcredential.status == PublicationStatus.PUBLISHED
        and found.unit_active
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


def waitlist_position(enrollment: Enrollment) -> int | None:
    """1 for the head of the wait-list; None when not waiting."""
    if enrollment.status != S.WAITLISTED:
        return None
    return Enrollment.objects.filter(
        offering_id=enrollment.offering_id, status=S.WAITLISTED, arrival__lte=enrollment.arrival
    ).count()


def _take_seat_unsafely(offering: Offering) -> bool:
    """Test-only negative control (ENROLLMENT_TEST_UNSAFE_SEATS): check, then act, without the
    conditional UPDATE."""
    taken = Offering.objects.filter(pk=offering.pk).values_list("seats_taken", flat=True).get()
    if taken >= offering.capacity:
        return False
    Offering.objects.filter(pk=offering.pk).update(seats_taken=taken + 1)
    return True


def enrollment_create(
    *,
    tenant: Tenant,
    learner: User,
    offering_id: int,
    actor: User | None = None,
    by_staff: bool = False,
    reason: str = "",
    now: datetime | None = None,
    store_answer: StoreAnswer | None = None,
) -> Enrolled:
    """Enroll `learner`: confirmed (free) or held (paid) if a seat is free and nobody waits,
    else on the wait-list, else OfferingFull. Staff (`by_staff`) may enroll outside the window.

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
    enrollment: Enrollment | None = None
    position: int | None = None
    stored: dict[str, Any] | None = None
    who = actor or learner

    def answer(status: str, hold_expires_at: datetime | None = None) -> _sql.AnswerToStore | None:
        if store_answer is None:
            return None
        draft = Enrollment(
            tenant_id=tenant.pk,
            offering=offering,
            learner=learner,
            status=status,
            hold_expires_at=hold_expires_at,
            created_at=now,
            updated_at=now,
        )
        body = store_answer.render(draft)
        return _sql.AnswerToStore(store_answer.keyed, store_answer.status, body, store_answer.waiting_text)

    try:
        inserted = None
        if first_to_wait:
            inserted = _create_with_seat(offering, learner, actor=who, now=now, reason=reason, answer=answer)
        if inserted is None and offering.waitlist_enabled:
            # One statement: outside a transaction (the API), it is its own, committed with it;
            # the wait-list count's lock is then held only to its end.
            inserted = _sql.enrollment_insert(
                offering=offering,
                learner_id=learner.pk,
                status=S.WAITLISTED,
                actor_id=who.pk,
                action="joined_waitlist",
                reason=reason,
                now=now,
                answer=answer(S.WAITLISTED),
            )
        if inserted is not None:
            enrollment, position, stored = inserted.enrollment, inserted.position, inserted.stored
    except IntegrityError as exc:
        if UNIQUE_ACTIVE in str(exc):  # the same learner, a moment ago (a double click)
            raise AlreadyEnrolled(_("You are already enrolled or waiting for this offering.")) from None
        if store_answer is not None and KEY_UNIQUE in str(exc):  # nothing was written
            raise KeyTaken from None
        raise
    if enrollment is None:  # nothing was written
        raise OfferingFull(_("This offering is full, and it keeps no wait-list."))
    enrollment.learner = learner
    # Told once, by the outbox: a place in line, or a seat held by staff for someone who has
    # not asked (they must learn of it, and of how to pay before the hold expires).
    if enrollment.status == S.WAITLISTED:
        message_queue(enrollment=enrollment, kind=MessageKind.WAITLISTED, now=now)
    elif enrollment.status == S.HELD and by_staff:
        message_queue(enrollment=enrollment, kind=MessageKind.HELD, now=now)
    if enrollment.status == S.WAITLISTED and first_to_wait:
        # A seat may have freed while this row was not yet visible to that seat's promotion
        # (module doc). Behind an earlier waiter, that promotion found the earlier one.
        transaction.on_commit(lambda: promote_if_free(tenant=tenant, offering_id=offering.pk))
    return Enrolled(enrollment, position, stored)


def _create_with_seat(
    offering: Offering,
    learner: User,
    *,
    actor: User,
    now: datetime,
    reason: str,
    answer: Callable[[str, datetime | None], _sql.AnswerToStore | None],
) -> _sql.Inserted | None:
    """A seat and the enrollment that holds it, or None (nothing written) when none is left."""
    status = S.CONFIRMED if offering.is_free else S.HELD
    hold_expires_at = hold_expiry(offering, now) if status == S.HELD else None
    unsafe = getattr(settings, "ENROLLMENT_TEST_UNSAFE_SEATS", False)

    def insert(take_seat: bool) -> _sql.Inserted | None:
        return _sql.enrollment_insert(
            offering=offering,
            learner_id=learner.pk,
            status=status,
            actor_id=actor.pk,
            action="enrolled",
            reason=reason,
            now=now,
            hold_expires_at=hold_expires_at,
            answer=answer(status, hold_expires_at),
            take_seat=take_seat,
        )

    if status == S.HELD and not unsafe:
        # One statement, seat and enrollment: outside a transaction (the API) it is its own, and
        # the offering's row lock is held by no round trip to this process.
        return insert(take_seat=True)
    # No savepoint (two round trips fewer): the block only ever exits by an exception on a
    # database error (a unique index), which ends a caller's transaction anyway.
    with transaction.atomic(savepoint=False):
        if unsafe:
            inserted = insert(take_seat=False) if _take_seat_unsafely(offering) else None
        else:
            inserted = insert(take_seat=True)
        if inserted is not None and status == S.CONFIRMED:
            # The confirmation e-mail is queued with the enrollment, in its transaction.
            message_queue(enrollment=inserted.enrollment, kind=MessageKind.CONFIRMED, now=now)
    return inserted

"""What every enrollment write shares: row locks in one order, checked transitions, the event row.

Locking order, everywhere: the offering row first, then enrollment rows (several: by `arrival`,
or by id); each waits at most LOCK_TIMEOUT (then EnrollmentBusy, never a 500). A transaction
that changes the seat count holds the offering's row lock from its seat UPDATE to its commit, so
it stays short and does no network call (e-mails leave after commit through the outbox,
enrollment.services.messages).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import Offering
from core.locks import bounded_wait
from enrollment import extensions
from enrollment.errors import EnrollmentBusy, TransitionRefused
from enrollment.models import (
    CORRECTIONS,
    DEFAULT_OFFER_WINDOW_HOURS,
    TRANSITIONS,
    Enrollment,
    EnrollmentEvent,
    EnrollmentStatus,
    WaitlistSettings,
)
from identity.models import User
from tenants.errors import NotVisible
from tenants.models import Tenant

S = EnrollmentStatus
# Longer than any change under these locks takes (a promotion of a whole wait-list included).
LOCK_TIMEOUT = "10s"


def _busy() -> EnrollmentBusy:
    return EnrollmentBusy(_("Someone else is changing this offering just now. Try again in a moment."))


def lock_offering(*, tenant: Tenant, offering_id: int) -> Offering:
    """The offering's row, locked until the transaction ends (FOR NO KEY UPDATE: the seat
    UPDATE's own lock). Not FOR UPDATE: that also blocks the foreign-key check (FOR KEY SHARE) of
    every enrollment inserted for the offering, so a learner joining the wait-list, who holds
    the wait-list count's lock (WaitlistCount) until commit, would wait at commit for a promotion
    that waits for that count: a deadlock. Waits at most LOCK_TIMEOUT (EnrollmentBusy)."""
    with bounded_wait(LOCK_TIMEOUT, busy=_busy):
        offering = (
            Offering.objects.select_for_update(no_key=True).filter(tenant=tenant, pk=offering_id).first()
        )
    if offering is None:
        raise NotVisible(_("No such offering."))
    return offering


def lock_enrollment(*, tenant: Tenant, enrollment_id: int) -> Enrollment:
    """One enrollment's row, locked; call after locking its offering."""
    with bounded_wait(LOCK_TIMEOUT, busy=_busy):
        enrollment = Enrollment.objects.select_for_update().filter(tenant=tenant, pk=enrollment_id).first()
    if enrollment is None:
        raise NotVisible(_("No such enrollment."))
    return enrollment


def lock_enrollments(*, tenant: Tenant, enrollment_ids: list[int]) -> dict[int, Enrollment]:
    """Several enrollments' rows (those that exist), locked in id order; call after locking
    their offering."""
    with bounded_wait(LOCK_TIMEOUT, busy=_busy):
        rows = (
            Enrollment.objects.select_for_update().filter(tenant=tenant, pk__in=enrollment_ids).order_by("pk")
        )
        return {e.pk: e for e in rows}


def enrollment_of(*, tenant: Tenant, enrollment_id: int, learner: User | None = None) -> Enrollment:
    """Unlocked: to learn which offering to lock. A learner reaches only their own (else 404)."""
    rows: QuerySet[Enrollment] = Enrollment.objects.filter(tenant=tenant, pk=enrollment_id)
    if learner is not None:
        rows = rows.filter(learner=learner)
    enrollment = rows.first()
    if enrollment is None:
        raise NotVisible(_("No such enrollment."))
    return enrollment


def offer_window(offering: Offering) -> timedelta:
    found = WaitlistSettings.objects.filter(offering_id=offering.pk).values_list(
        "offer_window_hours", flat=True
    )
    hours = next(iter(found), DEFAULT_OFFER_WINDOW_HOURS)
    return timedelta(hours=hours)


def hold_expiry(offering: Offering, now: datetime) -> datetime:
    return now + timedelta(minutes=offering.seat_hold_minutes)


def refuse_transition(enrollment: Enrollment, to_status: str) -> TransitionRefused:
    now_label = S(enrollment.status).label.lower()
    messages = {
        S.CANCELLED: _("This enrollment cannot be cancelled: it is %(state)s."),
        S.CONFIRMED: _("This cannot be confirmed: it is %(state)s."),
        S.HELD: _("No seat can be held for this: it is %(state)s."),
        S.OFFERED: _("No seat can be offered for this: it is %(state)s."),
        S.EXPIRED: _("This cannot expire: it is %(state)s."),
        S.COMPLETED: _("This cannot be completed: it is %(state)s."),
    }
    template = messages.get(S(to_status), _("This change is not possible: it is %(state)s."))
    return TransitionRefused(template % {"state": now_label})


def check_transition(enrollment: Enrollment, to_status: str, *, correction: bool = False) -> None:
    """TransitionRefused unless the enrollment's state allows the move (`correction`: also the
    moves only a completion's correction may make, CORRECTIONS)."""
    allowed = TRANSITIONS[enrollment.status] | (
        CORRECTIONS.get(enrollment.status, frozenset()) if correction else frozenset()
    )
    if to_status not in allowed:
        raise refuse_transition(enrollment, to_status)


def transition(
    enrollment: Enrollment,
    to_status: str,
    *,
    actor: User | None,
    action: str,
    now: datetime,
    reason: str = "",
    details: dict[str, Any] | None = None,
    hold_expires_at: datetime | None = None,
    offer_expires_at: datetime | None = None,
    correction: bool = False,
) -> EnrollmentEvent:
    """Move a locked enrollment to `to_status` if its state allows, and record the event.
    `correction` also allows the moves only a completion's correction may make (CORRECTIONS).

    The expiry fields follow the state (the database checks it): only `held` has a hold expiry,
    only `offered` an offer expiry.
    """
    from_status = enrollment.status
    check_transition(enrollment, to_status, correction=correction)
    enrollment.status = to_status
    enrollment.hold_expires_at = hold_expires_at if to_status == S.HELD else None
    enrollment.offer_expires_at = offer_expires_at if to_status == S.OFFERED else None
    enrollment.updated_at = now
    enrollment.save(update_fields=["status", "hold_expires_at", "offer_expires_at", "updated_at"])
    return record(
        enrollment,
        actor=actor,
        action=action,
        from_status=from_status,
        to_status=to_status,
        now=now,
        reason=reason,
        details=details,
    )


def record(
    enrollment: Enrollment,
    *,
    actor: User | None,
    action: str,
    from_status: str,
    to_status: str,
    now: datetime | None = None,
    reason: str = "",
    details: dict[str, Any] | None = None,
) -> EnrollmentEvent:
    """The append-only audit row: who, when, from, to, why; the apps above hear of it after commit
    (enrollment.extensions.status_listeners)."""
    event = EnrollmentEvent.objects.create(
        tenant_id=enrollment.tenant_id,
        enrollment=enrollment,
        actor=actor,
        action=action,
        from_status=from_status,
        to_status=to_status,
        reason=reason[:500],
        details=details or {},
        at=now or timezone.now(),
    )
    extensions.status_changed(
        extensions.StatusChanged(
            tenant_id=enrollment.tenant_id,
            enrollment_id=enrollment.pk,
            action=action,
            from_status=from_status,
            to_status=to_status,
        )
    )
    return event

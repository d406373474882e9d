"""Changes after enrolling: cancel, decline, leave the wait-list (learners and staff), and the unit
admin's own actions: move to another offering, promote a wait-list entry, enroll by e-mail, set
the offer window. Every one locks the offering row first, then the enrollment row."""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Min
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog import selectors as catalog_selectors
from catalog.models import Offering, PublicationStatus
from catalog.services import offering_seats_take
from core.errors import MicrocredError
from enrollment import extensions
from enrollment.errors import EnrollmentInvalid, MoveRefused, OfferExpired, TransitionRefused
from enrollment.models import (
    MAX_OFFER_WINDOW_HOURS,
    Enrollment,
    EnrollmentStatus,
    MessageKind,
    WaitlistSettings,
)
from enrollment.services._common import (
    enrollment_of,
    hold_expiry,
    lock_enrollment,
    lock_offering,
    record,
    refuse_transition,
    transition,
)
from enrollment.services.enroll import UNIQUE_ACTIVE, Enrolled, enrollment_create
from enrollment.services.expiry import enrollments_expire_offering
from enrollment.services.messages import message_queue
from enrollment.services.waitlist import promote_after_commit, promote_locked, release_locked
from identity.models import User
from learners.models import LearnerOrigin
from learners.services.records import learner_record_ensure
from learners.services.signin import learner_account_ensure
from tenants.models import Tenant
from tenants.selectors import StaffAccess

S = EnrollmentStatus
# What a learner may cancel themselves (a completed course stays completed).
LEARNER_CANCELLABLE = frozenset({S.HELD, S.CONFIRMED, S.WAITLISTED, S.OFFERED})
MOVABLE = frozenset({S.HELD, S.CONFIRMED, S.WAITLISTED})


def _require_reason(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        message = _("Say why: it is kept in the enrollment's history.")
        raise EnrollmentInvalid(message, fields={"reason": [message]})
    return reason


def _staff_enrollment(*, tenant: Tenant, access: StaffAccess, enrollment_id: int) -> Enrollment:
    """An enrollment in an offering of one of the staff member's units; else a 404."""
    enrollment = enrollment_of(tenant=tenant, enrollment_id=enrollment_id)
    catalog_selectors.offering_for_staff(tenant=tenant, access=access, offering_id=enrollment.offering_id)
    return enrollment


def _end(
    *,
    tenant: Tenant,
    enrollment_id: int,
    actor: User | None,
    action: str,
    reason: str,
    allowed: frozenset[str],
    now: datetime,
    notify: bool,
    keep_seat: bool = False,
) -> Enrollment:
    """Cancel one enrollment under lock; a seat it held goes to the wait-list's head at once
    (unless `keep_seat`: a paid seat whose refund policy keeps it stays taken, offered to nobody)."""
    offering_id = Enrollment.objects.filter(tenant=tenant, pk=enrollment_id).values_list(
        "offering_id", flat=True
    )
    with transaction.atomic():
        offering = lock_offering(tenant=tenant, offering_id=offering_id.get())
        enrollment = lock_enrollment(tenant=tenant, enrollment_id=enrollment_id)
        if enrollment.status not in allowed:
            raise refuse_transition(enrollment, S.CANCELLED)
        had_seat = enrollment.holds_seat
        if enrollment.status == S.HELD:
            extensions.hold_cancelled(tenant_id=tenant.pk, enrollment_id=enrollment.pk)
        if keep_seat and had_seat:
            transition(
                enrollment,
                S.CANCELLED,
                actor=actor,
                action=action,
                now=now,
                reason=reason,
                details={"seat_kept": True},
            )
            if notify:
                message_queue(enrollment=enrollment, kind=MessageKind.CANCELLED, now=now)
            return enrollment
        release_locked(offering, enrollment, S.CANCELLED, actor=actor, action=action, now=now, reason=reason)
        if notify:
            message_queue(enrollment=enrollment, kind=MessageKind.CANCELLED, now=now)
        if had_seat:
            promote_locked(offering, now=now, cause=_("A learner cancelled."))
            promote_after_commit(tenant, offering.pk)
    return enrollment


def enrollment_cancel(
    *,
    tenant: Tenant,
    learner: User,
    enrollment_id: int,
    reason: str = "",
    now: datetime | None = None,
    keep_seat: bool = False,
) -> Enrollment:
    """The learner cancels their own enrollment, hold, offer or wait-list place. `keep_seat`
    (a paid seat whose refund policy does not free it): the seat stays taken, nobody is offered it."""
    enrollment = enrollment_of(tenant=tenant, enrollment_id=enrollment_id, learner=learner)
    actions = {S.WAITLISTED: "left_waitlist", S.OFFERED: "offer_declined"}
    now = now or timezone.now()
    if enrollment.status == S.CONFIRMED:
        offering = Offering.objects.filter(pk=enrollment.offering_id).only("starts_at").get()
        if offering.starts_at <= now:
            raise TransitionRefused(
                _("The course has started: contact the unit to cancel."), code="course_started"
            )
    return _end(
        tenant=tenant,
        enrollment_id=enrollment.pk,
        actor=learner,
        action=actions.get(S(enrollment.status), "cancelled"),
        reason=reason,
        allowed=LEARNER_CANCELLABLE,
        now=now,
        notify=True,
        keep_seat=keep_seat,
    )


def offer_accept(
    *, tenant: Tenant, enrollment_id: int, learner: User | None, now: datetime | None = None
) -> Enrollment:
    """The learner takes the offered seat: confirmed if free, held for payment otherwise.

    The seat was taken when it was offered, so no seat count changes here: only the enrollment
    row is locked. `learner` None: the e-mailed link's signature stands for the learner.
    """
    now = now or timezone.now()
    enrollment = enrollment_of(tenant=tenant, enrollment_id=enrollment_id, learner=learner)
    expired = False
    with transaction.atomic():
        enrollment = lock_enrollment(tenant=tenant, enrollment_id=enrollment.pk)
        if enrollment.status != S.OFFERED:
            raise _not_offered(enrollment)
        if enrollment.offer_expires_at is None or enrollment.offer_expires_at <= now:
            expired = True
        else:
            offering = Offering.objects.get(pk=enrollment.offering_id)
            if offering.is_free:
                transition(enrollment, S.CONFIRMED, actor=learner, action="offer_accepted", now=now)
                message_queue(enrollment=enrollment, kind=MessageKind.CONFIRMED, now=now)
            else:
                transition(
                    enrollment,
                    S.HELD,
                    actor=learner,
                    action="offer_accepted",
                    now=now,
                    hold_expires_at=hold_expiry(offering, now),
                )
    if expired:
        # Expire it now rather than at the next sweep, so the seat moves on at once.
        enrollments_expire_offering(tenant=tenant, offering_id=enrollment.offering_id, now=now)
        raise OfferExpired(_("This offer has expired; the seat went to the next person waiting."))
    return enrollment


def _not_offered(enrollment: Enrollment) -> MicrocredError:
    if enrollment.status == S.EXPIRED:
        return OfferExpired(_("This offer has expired; the seat went to the next person waiting."))
    if enrollment.status in (S.CONFIRMED, S.HELD):
        return TransitionRefused(_("You already accepted this seat."), code="already_accepted")
    if enrollment.status == S.CANCELLED:
        return TransitionRefused(_("You declined this offer or left the wait-list."), code="offer_declined")
    return TransitionRefused(_("No seat is offered to you here yet."), code="not_offered")


def offer_decline(
    *, tenant: Tenant, enrollment_id: int, learner: User | None, now: datetime | None = None
) -> Enrollment:
    """Decline an offered seat (from My learning, or the e-mailed link: `learner` None)."""
    enrollment = enrollment_of(tenant=tenant, enrollment_id=enrollment_id, learner=learner)
    if enrollment.status != S.OFFERED:
        raise TransitionRefused(_("No seat is offered to you here."), code="not_offered")
    return _end(
        tenant=tenant,
        enrollment_id=enrollment.pk,
        actor=learner or enrollment.learner,
        action="offer_declined",
        reason="",
        allowed=frozenset({S.OFFERED}),
        now=now or timezone.now(),
        notify=True,
    )


def waitlist_leave(
    *, tenant: Tenant, learner: User, enrollment_id: int, now: datetime | None = None
) -> Enrollment:
    """Leave the wait-list. If a seat was offered meanwhile, leaving declines it."""
    enrollment = enrollment_of(tenant=tenant, enrollment_id=enrollment_id, learner=learner)
    if enrollment.status not in (S.WAITLISTED, S.OFFERED):
        raise TransitionRefused(_("You are not on this wait-list."), code="not_waitlisted")
    return _end(
        tenant=tenant,
        enrollment_id=enrollment.pk,
        actor=learner,
        action="left_waitlist",
        reason="",
        allowed=frozenset({S.WAITLISTED, S.OFFERED}),
        now=now or timezone.now(),
        notify=True,
    )


def staff_cancel(
    *,
    tenant: Tenant,
    access: StaffAccess,
    actor: User,
    enrollment_id: int,
    reason: str,
    now: datetime | None = None,
    notify: bool = True,
) -> Enrollment:
    """`notify=False`: the caller tells the learner itself, in one e-mail with what else changed
    (payments: the seat cancelled and what is refunded)."""
    reason = _require_reason(reason)
    enrollment = _staff_enrollment(tenant=tenant, access=access, enrollment_id=enrollment_id)
    return _end(
        tenant=tenant,
        enrollment_id=enrollment.pk,
        actor=actor,
        action="cancelled_by_staff",
        reason=reason,
        allowed=LEARNER_CANCELLABLE,
        now=now or timezone.now(),
        notify=notify,
    )


def enrollment_end_for_deletion(
    *, tenant: Tenant, actor: User, enrollment_id: int, reason: str, now: datetime | None = None
) -> Enrollment:
    """The learner deletes their account: a hold, offer or wait-list place ends (identity.registry)."""
    return _end(
        tenant=tenant,
        enrollment_id=enrollment_id,
        actor=actor,
        action="account_deleted",
        reason=reason,
        allowed=frozenset({S.HELD, S.OFFERED, S.WAITLISTED}),
        now=now or timezone.now(),
        notify=False,
    )


def staff_enroll_by_email(
    *,
    tenant: Tenant,
    access: StaffAccess,
    actor: User,
    offering_id: int,
    email: str,
    full_name: str = "",
    reason: str = "",
    now: datetime | None = None,
) -> Enrolled:
    """A unit admin enrolls someone by e-mail address: the account is matched or created (they
    are e-mailed of the seat or the wait-list place, and sign in with a code when they come),
    the tenant remembers them as a learner of the offering's unit, and they are enrolled outside
    the window if need be, never over capacity (a full offering puts them on the wait-list)."""
    offering = catalog_selectors.offering_for_staff(tenant=tenant, access=access, offering_id=offering_id)
    identity = learner_account_ensure(email=email, full_name=full_name)
    learner_record_ensure(
        tenant=tenant, user=identity.user, origin=LearnerOrigin.GUEST, unit=offering.microcredential.unit
    )
    return enrollment_create(
        tenant=tenant,
        learner=identity.user,
        offering_id=offering.pk,
        actor=actor,
        by_staff=True,
        reason=reason.strip() or _("Enrolled by staff."),
        now=now,
    )


def waitlist_entry_promote(
    *,
    tenant: Tenant,
    access: StaffAccess,
    actor: User,
    enrollment_id: int,
    reason: str,
    now: datetime | None = None,
) -> Enrollment:
    """Move a wait-list entry to the head (with a reason): the next free seat is theirs, and
    if one is free now it is offered to them at once. Capacity is never exceeded."""
    reason = _require_reason(reason)
    now = now or timezone.now()
    enrollment = _staff_enrollment(tenant=tenant, access=access, enrollment_id=enrollment_id)
    with transaction.atomic():
        offering = lock_offering(tenant=tenant, offering_id=enrollment.offering_id)
        enrollment = lock_enrollment(tenant=tenant, enrollment_id=enrollment.pk)
        if enrollment.status != S.WAITLISTED:
            raise TransitionRefused(_("Only a wait-list entry can be promoted."), code="not_waitlisted")
        head = Enrollment.objects.filter(offering_id=offering.pk, status=S.WAITLISTED).aggregate(
            first=Min("arrival")
        )["first"]
        before = enrollment.arrival
        if head is not None and head < enrollment.arrival:
            enrollment.arrival = head - 1
            enrollment.updated_at = now
            enrollment.save(update_fields=["arrival", "updated_at"])
        record(
            enrollment,
            actor=actor,
            action="promoted_by_staff",
            from_status=S.WAITLISTED,
            to_status=S.WAITLISTED,
            now=now,
            reason=reason,
            details={"arrival": [before, enrollment.arrival]},
        )
        promote_locked(offering, now=now, actor=actor, cause=reason)
    enrollment.refresh_from_db()
    return enrollment


def enrollment_move(
    *,
    tenant: Tenant,
    access: StaffAccess,
    actor: User,
    enrollment_id: int,
    to_offering_id: int,
    reason: str,
    now: datetime | None = None,
) -> Enrollment:
    """Move a learner to another offering of the same microcredential, keeping their state: a
    seat (confirmed or held) needs a free seat there; a wait-list place joins the end of the
    other wait-list. The seat left behind goes to the first offering's wait-list at once."""
    reason = _require_reason(reason)
    now = now or timezone.now()
    source = _staff_enrollment(tenant=tenant, access=access, enrollment_id=enrollment_id)
    target = catalog_selectors.offering_for_staff(tenant=tenant, access=access, offering_id=to_offering_id)
    origin = Offering.objects.get(pk=source.offering_id)
    if target.pk == origin.pk:
        raise MoveRefused(_("Choose another offering than the one the learner is in."))
    if target.microcredential_id != origin.microcredential_id:
        raise MoveRefused(_("A learner can move only to another offering of the same microcredential."))
    if target.status == PublicationStatus.ARCHIVED:
        raise MoveRefused(_("That offering is archived."))
    try:
        with transaction.atomic():
            first, second = sorted((origin.pk, target.pk))  # two offerings: always in id order
            locked = {o: lock_offering(tenant=tenant, offering_id=o) for o in (first, second)}
            origin, target = locked[origin.pk], locked[target.pk]
            source = lock_enrollment(tenant=tenant, enrollment_id=source.pk)
            if source.status not in MOVABLE:
                raise TransitionRefused(
                    _("Only a confirmed, held or wait-listed learner can be moved; this one is %(state)s.")
                    % {"state": S(source.status).label.lower()}
                )
            moved = _moved_copy(source, target, now=now)
            if source.holds_seat and not offering_seats_take(tenant=tenant, offering_id=target.pk):
                raise MoveRefused(_("That offering is full: no seat to move the learner into."))
            moved.save()
            details = {"from_offering": origin.pk, "to_offering": target.pk, "to_enrollment": moved.pk}
            had_seat = source.holds_seat
            release_locked(
                origin,
                source,
                S.CANCELLED,
                actor=actor,
                action="moved_out",
                now=now,
                reason=reason,
                details=details,
            )
            record(
                moved,
                actor=actor,
                action="moved_in",
                from_status="",
                to_status=moved.status,
                now=now,
                reason=reason,
                details={**details, "from_enrollment": source.pk},
            )
            message_queue(enrollment=moved, kind=MessageKind.MOVED, now=now)
            if had_seat:
                promote_locked(origin, now=now, cause=_("A learner moved to another offering."))
                promote_after_commit(tenant, origin.pk)
            elif moved.status == S.WAITLISTED:
                promote_after_commit(tenant, target.pk)  # a seat may be free there
    except IntegrityError as exc:
        if UNIQUE_ACTIVE in str(exc):
            raise MoveRefused(_("The learner is already enrolled or waiting in that offering.")) from None
        raise
    return moved


def _moved_copy(source: Enrollment, target: Offering, *, now: datetime) -> Enrollment:
    status = source.status
    return Enrollment(
        tenant_id=source.tenant_id,
        offering=target,
        learner_id=source.learner_id,
        status=status,
        hold_expires_at=hold_expiry(target, now) if status == S.HELD else None,
        created_at=now,
        updated_at=now,
    )


def offer_window_set(
    *, tenant: Tenant, access: StaffAccess, actor: User, offering_id: int, hours: int
) -> int:
    offering = catalog_selectors.offering_for_staff(tenant=tenant, access=access, offering_id=offering_id)
    if not 1 <= hours <= MAX_OFFER_WINDOW_HOURS:
        message = _("Between 1 hour and %(max)d hours (two weeks).") % {"max": MAX_OFFER_WINDOW_HOURS}
        raise EnrollmentInvalid(message, fields={"offer_window_hours": [message]})
    WaitlistSettings.objects.update_or_create(
        offering=offering, defaults={"tenant": tenant, "offer_window_hours": hours}
    )
    return hours

"""What payments asks of enrollments: keep a hold alive for checkout (once), confirm a paid
seat (or take one again when the payment came after the hold expired), release a hold whose
checkout expired. Same locks as everywhere: the offering row first, then the enrollment."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.services import offering_seats_take
from enrollment.errors import TransitionRefused
from enrollment.models import ACTIVE_STATES, Enrollment, EnrollmentEvent, EnrollmentStatus, MessageKind
from enrollment.services._common import lock_enrollment, lock_offering, record, transition
from enrollment.services.messages import message_queue
from enrollment.services.waitlist import promote_after_commit, promote_locked, release_locked
from tenants.models import Tenant

S = EnrollmentStatus
HOLD_EXTENDED = "hold_extended_for_checkout"


def hold_extend_for_checkout(
    *, tenant: Tenant, enrollment_id: int, until: datetime, now: datetime | None = None
) -> Enrollment:
    """Keep a held seat until `until` (a checkout must stay open 30 minutes at least). Allowed
    once per hold: a learner cannot keep a seat by starting checkout again and again."""
    now = now or timezone.now()
    with transaction.atomic():
        enrollment = lock_enrollment(tenant=tenant, enrollment_id=enrollment_id)
        if enrollment.status != S.HELD or enrollment.hold_expires_at is None:
            raise TransitionRefused(_("This seat is not held for you any more."), code="not_held")
        if enrollment.hold_expires_at >= until:
            return enrollment
        if enrollment.hold_expires_at <= now:
            raise TransitionRefused(_("Your hold on this seat has expired."), code="hold_expired")
        if EnrollmentEvent.objects.filter(enrollment=enrollment, action=HOLD_EXTENDED).exists():
            raise TransitionRefused(
                _("Too little time is left on this hold to pay, and it was extended once already."),
                code="hold_extension_used",
            )
        before = enrollment.hold_expires_at
        enrollment.hold_expires_at = until
        enrollment.updated_at = now
        enrollment.save(update_fields=["hold_expires_at", "updated_at"])
        record(
            enrollment,
            actor=enrollment.learner,
            action=HOLD_EXTENDED,
            from_status=S.HELD,
            to_status=S.HELD,
            now=now,
            reason=_("Extended once so that checkout can stay open its minimum 30 minutes."),
            details={"from": before.isoformat(), "to": until.isoformat()},
        )
    return enrollment


@dataclass(frozen=True)
class PaidSeat:
    """`outcome`: confirmed (the hold became a seat), already (confirmed before), retaken (the
    hold had expired; a free seat was taken again), no_seat (expired and nothing free: refund)."""

    outcome: str
    enrollment: Enrollment | None


def enrollment_confirm_paid(
    *, tenant: Tenant, enrollment_id: int, details: dict[str, Any], now: datetime | None = None
) -> PaidSeat:
    """A payment arrived for this enrollment's seat. Idempotent: a second call says `already`."""
    now = now or timezone.now()
    offering_id = Enrollment.objects.filter(tenant=tenant, pk=enrollment_id).values_list(
        "offering_id", flat=True
    )
    with transaction.atomic():
        offering = lock_offering(tenant=tenant, offering_id=offering_id.get())
        enrollment = lock_enrollment(tenant=tenant, enrollment_id=enrollment_id)
        if enrollment.status in (S.HELD, S.OFFERED):
            transition(enrollment, S.CONFIRMED, actor=None, action="paid", now=now, details=details)
            message_queue(enrollment=enrollment, kind=MessageKind.CONFIRMED, now=now)
            return PaidSeat("confirmed", enrollment)
        if enrollment.status in (S.CONFIRMED, S.COMPLETED):
            return PaidSeat("already", enrollment)
        current = (
            Enrollment.objects.select_for_update()
            .filter(
                offering_id=offering.pk, learner_id=enrollment.learner_id, status__in=sorted(ACTIVE_STATES)
            )
            .first()
        )
        if current is not None:
            if current.status in (S.HELD, S.OFFERED):
                transition(current, S.CONFIRMED, actor=None, action="paid", now=now, details=details)
                message_queue(enrollment=current, kind=MessageKind.CONFIRMED, now=now)
                return PaidSeat("retaken", current)
            return PaidSeat("no_seat", None)  # confirmed again meanwhile, or queued on the wait-list
        # The wait-list comes first: a seat is free for this payment only when nobody waits.
        waiting = Enrollment.objects.filter(offering_id=offering.pk, status=S.WAITLISTED).exists()
        if waiting or not offering_seats_take(tenant=tenant, offering_id=offering.pk):
            return PaidSeat("no_seat", None)
        seat = Enrollment.objects.create(
            tenant=tenant,
            offering=offering,
            learner_id=enrollment.learner_id,
            status=S.CONFIRMED,
            created_at=now,
            updated_at=now,
        )
        record(
            seat,
            actor=None,
            action="paid_late",
            from_status="",
            to_status=S.CONFIRMED,
            now=now,
            reason=_("Paid after the hold had expired; a seat was free, so it was taken again."),
            details={**details, "expired_enrollment": enrollment.pk},
        )
        message_queue(enrollment=seat, kind=MessageKind.CONFIRMED, now=now)
        return PaidSeat("retaken", seat)


def hold_release(*, tenant: Tenant, enrollment_id: int, reason: str, now: datetime | None = None) -> bool:
    """The checkout for this hold expired: the hold ends and the seat is offered on at once.
    False when it is no longer held (paid, cancelled, already expired)."""
    now = now or timezone.now()
    offering_id = Enrollment.objects.filter(tenant=tenant, pk=enrollment_id).values_list(
        "offering_id", flat=True
    )
    with transaction.atomic():
        offering = lock_offering(tenant=tenant, offering_id=offering_id.get())
        enrollment = lock_enrollment(tenant=tenant, enrollment_id=enrollment_id)
        if enrollment.status != S.HELD:
            return False
        release_locked(
            offering, enrollment, S.EXPIRED, actor=None, action="checkout_expired", now=now, reason=reason
        )
        message_queue(enrollment=enrollment, kind=MessageKind.EXPIRED, now=now)
        promote_locked(offering, now=now, cause=_("A hold's checkout expired."))
        promote_after_commit(tenant, offering.pk)
    return True

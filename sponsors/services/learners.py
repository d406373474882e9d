"""A sponsored learner's side of their seat: whether the employer sees their progress (consent,
asked at redemption, changeable at any time), and giving the seat back.

Consent is opt-in: a seat enrolled from the contact's CSV shares nothing until its learner says
so. While it is not given, the employer's contacts see only that a seat was redeemed: not who,
not their status, not their completion (sponsors.selectors.pool_learners).

Giving the seat back cancels the enrollment but keeps its place on the offering for the pool
(`keep_seat`: nobody on the wait-list is offered it); the pool's seat gets a fresh code (the old
one was the learner's), so the contact can hand it to someone else.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from enrollment import services as enrollment_services
from enrollment.models import Enrollment
from identity.models import User
from sponsors.models import PoolSeat
from sponsors.services.pools import lock_pool, new_code
from tenants.errors import NotVisible
from tenants.models import Tenant


def seat_of_learner(*, tenant: Tenant, learner: User, enrollment_id: int) -> PoolSeat:
    seat = (
        PoolSeat.objects.select_related(
            "pool__employer", "pool__offering", "pool__microcredential__unit", "enrollment"
        )
        .filter(tenant=tenant, enrollment_id=enrollment_id, enrollment__learner=learner)
        .first()
    )
    if seat is None:
        raise NotVisible(_("No such sponsored seat."))
    return seat


def sharing_set(
    *, tenant: Tenant, learner: User, enrollment_id: int, share: bool, now: datetime | None = None
) -> PoolSeat:
    """Give or take back consent; the time of the last change is kept. Saying the same again
    changes nothing (and keeps the time)."""
    seat = seat_of_learner(tenant=tenant, learner=learner, enrollment_id=enrollment_id)
    PoolSeat.objects.filter(pk=seat.pk).exclude(shares_progress=share).update(
        shares_progress=share, sharing_changed_at=now or timezone.now()
    )
    seat.refresh_from_db(fields=["shares_progress", "sharing_changed_at"])
    return seat


def seat_give_back(
    *, tenant: Tenant, learner: User, enrollment_id: int, now: datetime | None = None
) -> Enrollment:
    """The learner cancels a sponsored seat before the course starts (module doc). The
    enrollment's own rules apply (e.g. not after the start); the learner is e-mailed once."""
    now = now or timezone.now()
    seat = seat_of_learner(tenant=tenant, learner=learner, enrollment_id=enrollment_id)
    with transaction.atomic():
        pool = lock_pool(tenant=tenant, pool_id=seat.pool_id)
        locked = PoolSeat.objects.select_for_update().filter(pk=seat.pk, enrollment_id=enrollment_id).first()
        if pool is None or locked is None:
            raise NotVisible(_("No such sponsored seat."))
        enrollment = enrollment_services.enrollment_cancel(
            tenant=tenant,
            learner=learner,
            enrollment_id=enrollment_id,
            reason=_("Seat given back to %(org)s.") % {"org": pool.employer.organisation},
            now=now,
            # The pool keeps a one-run seat while it can still be handed out; any run's seat,
            # or one given back after the pool ended, frees in the run.
            keep_seat=pool.offering_id is not None and pool.ended_at is None,
        )
        locked.enrollment = None
        locked.redeemed_at = None
        locked.email = ""
        locked.shares_progress = False
        locked.sharing_changed_at = None
        locked.code = new_code()
        if pool.ended_at is not None:  # too late to hand it out again
            locked.expired_at = now
        locked.save(
            update_fields=[
                "enrollment",
                "redeemed_at",
                "email",
                "shares_progress",
                "sharing_changed_at",
                "code",
                "expired_at",
            ]
        )
    return enrollment

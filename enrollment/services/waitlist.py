"""The wait-list: a freed seat goes to the oldest waiting entry, as an offer that expires.

Promotion locks the offering row (FOR UPDATE), then the wait-list's head rows in `arrival`
order (FOR UPDATE, never skipping a locked one), takes their seats with the catalog's
conditional UPDATE and marks them offered, all in one transaction. Two promotions of one
offering therefore run one after the other, and the second finds nothing left to do.

It runs inside every transaction that frees a seat (so the seat passes straight on), and once
more after that transaction commits: a learner who joined the wait-list concurrently (not yet
visible to the first run) is then seen. A learner who joins the wait-list checks for a free seat
after their own commit, for the same reason; the minute sweep is the last backstop.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import Offering, PublicationStatus
from catalog.services import offering_seats_release, offering_seats_take
from enrollment.models import Enrollment, EnrollmentStatus, MessageKind
from enrollment.services._common import (
    lock_offering,
    offer_window,
    transition,
)
from enrollment.services.messages import message_queue
from identity.models import User
from tenants.models import Tenant

logger = logging.getLogger(__name__)
S = EnrollmentStatus


def promotes(offering: Offering, now: datetime) -> bool:
    """Seats are offered on until the course starts (or enrollment closes, if later)."""
    if offering.status == PublicationStatus.ARCHIVED:
        return False
    return now < max(offering.starts_at, offering.enrollment_closes_at)


def promote_locked(
    offering: Offering, *, now: datetime, actor: User | None = None, cause: str = ""
) -> list[Enrollment]:
    """Offer every free seat of a locked offering to the oldest waiting entries."""
    free = offering.capacity - offering.seats_taken
    if free <= 0 or not promotes(offering, now):
        return []
    heads = list(
        Enrollment.objects.select_for_update()
        .filter(offering_id=offering.pk, status=S.WAITLISTED)
        .order_by("arrival")[:free]
    )
    if not heads:
        return []
    if not offering_seats_take(tenant=offering.tenant, offering_id=offering.pk, count=len(heads)):
        # Cannot happen under the offering's lock; the constraint would refuse an oversell anyway.
        raise RuntimeError(f"offering {offering.pk}: {len(heads)} free seats vanished under lock")
    offering.seats_taken += len(heads)
    expires = now + offer_window(offering)
    for entry in heads:
        transition(
            entry,
            S.OFFERED,
            actor=actor,
            action="offered",
            now=now,
            reason=cause or _("A seat became free."),
            offer_expires_at=expires,
        )
        message_queue(enrollment=entry, kind=MessageKind.OFFERED, now=now)
    return heads


def release_locked(
    offering: Offering,
    enrollment: Enrollment,
    to_status: str,
    *,
    actor: User | None,
    action: str,
    now: datetime,
    reason: str = "",
    details: dict[str, Any] | None = None,
) -> None:
    """End a locked enrollment; if it held a seat, give the seat back (the caller promotes)."""
    had_seat = enrollment.holds_seat
    transition(enrollment, to_status, actor=actor, action=action, now=now, reason=reason, details=details)
    if had_seat:
        offering_seats_release(tenant=offering.tenant, offering_id=offering.pk)
        offering.seats_taken -= 1


def promote_after_commit(tenant: Tenant, offering_id: int) -> None:
    """Run the promotion again once the current transaction has committed (see module doc)."""
    tenant_id = tenant.pk

    def run() -> None:
        try:
            waitlist_promote(tenant=Tenant.objects.get(pk=tenant_id), offering_id=offering_id)
        except Exception:  # the committed change stands; the minute sweep promotes
            logger.exception("promotion after commit failed for offering %s", offering_id)

    transaction.on_commit(run)


def waitlist_promote(
    *,
    tenant: Tenant,
    offering_id: int,
    now: datetime | None = None,
    actor: User | None = None,
    cause: str = "",
) -> list[Enrollment]:
    """Offer the offering's free seats to the oldest waiting entries. Idempotent; safe to run
    twice at once (the second waits for the offering's lock and finds no free seat)."""
    now = now or timezone.now()
    with transaction.atomic():
        offering = lock_offering(tenant=tenant, offering_id=offering_id)
        return promote_locked(offering, now=now, actor=actor, cause=cause)


def promote_if_free(*, tenant: Tenant, offering_id: int) -> list[Enrollment]:
    """After a learner joined the wait-list: promote if a seat is free (a cheap read first)."""
    free = (
        Offering.objects.filter(tenant=tenant, pk=offering_id).values_list("capacity", "seats_taken").first()
    )
    if free is None or free[0] <= free[1]:
        return []
    return waitlist_promote(tenant=tenant, offering_id=offering_id)

"""Holds and offers that ran out, and the sweep that finds any promotion left undone.

Both run from Celery beat every minute (enrollment.tasks) and are safe to run twice at once:
each offering is handled in its own transaction under its row lock, and the rows are re-read
under that lock, so the second run finds them already expired.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import Offering
from enrollment.models import Enrollment, EnrollmentStatus, MessageKind
from enrollment.services._common import lock_offering
from enrollment.services.messages import message_queue
from enrollment.services.waitlist import (
    promote_after_commit,
    promote_locked,
    release_locked,
    waitlist_promote,
)
from tenants.models import Tenant

S = EnrollmentStatus


def _due(now: datetime) -> Q:
    return Q(status=S.HELD, hold_expires_at__lte=now) | Q(status=S.OFFERED, offer_expires_at__lte=now)


def enrollments_expire_offering(*, tenant: Tenant, offering_id: int, now: datetime | None = None) -> int:
    """Expire the offering's holds and offers that ran out, and offer their seats on."""
    now = now or timezone.now()
    with transaction.atomic():
        offering = lock_offering(tenant=tenant, offering_id=offering_id)
        due = list(
            Enrollment.objects.select_for_update()
            .filter(_due(now), tenant=tenant, offering_id=offering.pk)
            .order_by("arrival")
        )
        for enrollment in due:
            was_offer = enrollment.status == S.OFFERED
            release_locked(
                offering,
                enrollment,
                S.EXPIRED,
                actor=None,
                action="offer_expired" if was_offer else "hold_expired",
                now=now,
                reason=_("The offer was not answered in time.") if was_offer else _("Not paid in time."),
            )
            message_queue(enrollment=enrollment, kind=MessageKind.EXPIRED, now=now)
        if due:
            promote_locked(offering, now=now, cause=_("A hold or an offer expired."))
            promote_after_commit(tenant, offering.pk)
    return len(due)


def enrollments_expire_due(*, now: datetime | None = None) -> int:
    """Every tenant's offerings with a hold or offer that ran out (the minute job)."""
    now = now or timezone.now()
    offerings = (
        Enrollment.objects.filter(_due(now)).values_list("tenant_id", "offering_id").distinct().order_by()
    )
    tenants = {t.pk: t for t in Tenant.objects.filter(pk__in={tenant_id for tenant_id, _ in offerings})}
    return sum(
        enrollments_expire_offering(tenant=tenants[tenant_id], offering_id=offering_id, now=now)
        for tenant_id, offering_id in offerings
    )


def waitlists_sweep(*, now: datetime | None = None) -> int:
    """Promote wherever a seat is free while someone waits (a promotion after commit that never
    ran: the process died between commit and promotion). Normally finds nothing."""
    now = now or timezone.now()
    waiting = Enrollment.objects.filter(offering_id=OuterRef("pk"), status=S.WAITLISTED)
    stuck = list(
        Offering.objects.filter(seats_taken__lt=F("capacity"))
        .filter(Exists(waiting))
        .values_list("tenant_id", "pk")
    )
    tenants = {t.pk: t for t in Tenant.objects.filter(pk__in={tenant_id for tenant_id, _ in stuck})}
    return sum(
        len(waitlist_promote(tenant=tenants[tenant_id], offering_id=offering_id, now=now))
        for tenant_id, offering_id in stuck
    )

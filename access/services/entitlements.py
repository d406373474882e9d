"""Entitlements: what a seat grants beyond the course (library e-resources, a software licence,
a lab), for one offering or every offering of a microcredential.

An entitlement is active for a learner while their seat is CONFIRMED or COMPLETED and `now` lies
in its window: from `days_before_start` days before the offering starts to `days_after_end`
days after it ends. A cancelled, expired or moved seat ends it at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from access.models import Entitlement
from catalog.models import Microcredential, Offering
from core.errors import NotFound, ValidationFailed
from enrollment.models import Enrollment, EnrollmentStatus
from identity.models import User
from tenants.models import Tenant, Unit

SEAT_STATES = (EnrollmentStatus.CONFIRMED, EnrollmentStatus.COMPLETED)


@dataclass(frozen=True)
class ActiveEntitlement:
    identifier: str
    name: str
    starts_at: datetime  # the window's first moment
    until: datetime  # the window's last moment
    enrollment_id: int
    offering_id: int
    unit_id: int
    time_zone: ZoneInfo  # the offering's: dates for people are shown in it


def window(entitlement: Entitlement, offering: Offering) -> tuple[datetime, datetime]:
    return (
        offering.starts_at - timedelta(days=entitlement.days_before_start),
        offering.ends_at + timedelta(days=entitlement.days_after_end),
    )


def zone_of(offering: Offering) -> ZoneInfo:
    try:
        return ZoneInfo(offering.time_zone)
    except (ValueError, KeyError):
        return ZoneInfo("UTC")


def _seats(*, tenant: Tenant, learner: User | None, unit: Unit | None) -> QuerySet[Enrollment]:
    seats = Enrollment.objects.filter(tenant=tenant, status__in=SEAT_STATES).select_related(
        "offering__microcredential", "learner"
    )
    if learner is not None:
        seats = seats.filter(learner=learner)
    if unit is not None:
        seats = seats.filter(offering__microcredential__unit=unit)
    return seats.order_by("pk")


def _active(
    *, tenant: Tenant, now: datetime, learner: User | None, unit: Unit | None
) -> list[tuple[Enrollment, ActiveEntitlement]]:
    seats = list(_seats(tenant=tenant, learner=learner, unit=unit))
    if not seats:
        return []
    offering_ids = {s.offering_id for s in seats}
    microcredential_ids = {s.offering.microcredential_id for s in seats}
    rules = list(
        Entitlement.objects.filter(tenant=tenant).filter(
            Q(offering_id__in=offering_ids) | Q(microcredential_id__in=microcredential_ids)
        )
    )
    found: list[tuple[Enrollment, ActiveEntitlement]] = []
    for seat in seats:
        offering = seat.offering
        for rule in rules:
            if rule.offering_id not in (None, offering.pk):
                continue
            if rule.microcredential_id not in (None, offering.microcredential_id):
                continue
            starts_at, until = window(rule, offering)
            if starts_at <= now <= until:
                found.append(
                    (
                        seat,
                        ActiveEntitlement(
                            identifier=rule.identifier,
                            name=rule.name,
                            starts_at=starts_at,
                            until=until,
                            enrollment_id=seat.pk,
                            offering_id=offering.pk,
                            unit_id=offering.microcredential.unit_id,
                            time_zone=zone_of(offering),
                        ),
                    )
                )
    return found


def entitlements_active(
    *, tenant: Tenant, learner: User, now: datetime, unit: Unit | None = None
) -> list[ActiveEntitlement]:
    """The learner's active entitlements (one per seat and entitlement), soonest end first.
    With `unit`, only those granted by that unit's offerings."""
    rows = [e for _seat, e in _active(tenant=tenant, now=now, learner=learner, unit=unit)]
    return sorted(rows, key=lambda e: (e.until, e.name, e.enrollment_id))


def entitlements_active_all(
    *, tenant: Tenant, now: datetime, unit_ids: frozenset[int] | None
) -> list[tuple[Enrollment, ActiveEntitlement]]:
    """Every learner's active entitlements (the staff export); `unit_ids` None: every unit."""
    rows = _active(tenant=tenant, now=now, learner=None, unit=None)
    if unit_ids is not None:
        rows = [r for r in rows if r[1].unit_id in unit_ids]
    return sorted(rows, key=lambda r: (r[0].learner.email, r[1].name, r[1].enrollment_id))


def entitlement_create(
    *,
    tenant: Tenant,
    unit_ids: frozenset[int] | None,
    target: str,
    name: str,
    identifier: str,
    days_before_start: int,
    days_after_end: int,
) -> Entitlement:
    """A new entitlement for `target` ("offering:<id>" or "microcredential:<id>") of a unit the
    person runs (`unit_ids` None: every unit)."""
    kind, _sep, raw_id = target.partition(":")
    if not raw_id.isdigit() or len(raw_id) > 18 or kind not in ("offering", "microcredential"):
        raise ValidationFailed(
            _("Choose an offering or a microcredential."), fields={"target": [_("Choose one.")]}
        )
    name, identifier = name.strip(), identifier.strip()
    if not name or not identifier:
        raise ValidationFailed(_("An entitlement needs a name and an identifier."))
    entitlement = Entitlement(
        tenant=tenant,
        name=name,
        identifier=identifier,
        days_before_start=days_before_start,
        days_after_end=days_after_end,
    )
    if kind == "offering":
        offering = (
            Offering.objects.filter(tenant=tenant, pk=int(raw_id)).select_related("microcredential").first()
        )
        if offering is None or (unit_ids is not None and offering.microcredential.unit_id not in unit_ids):
            raise NotFound(_("No such offering."))
        entitlement.offering = offering
    else:
        microcredential = Microcredential.objects.filter(tenant=tenant, pk=int(raw_id)).first()
        if microcredential is None or (unit_ids is not None and microcredential.unit_id not in unit_ids):
            raise NotFound(_("No such microcredential."))
        entitlement.microcredential = microcredential
    with transaction.atomic():
        entitlement.save()
    return entitlement


def entitlements_for_staff(*, tenant: Tenant, unit_ids: frozenset[int] | None) -> QuerySet[Entitlement]:
    rows = Entitlement.objects.filter(tenant=tenant).select_related(
        "offering__microcredential__unit", "microcredential__unit"
    )
    if unit_ids is not None:
        rows = rows.filter(
            Q(offering__microcredential__unit_id__in=unit_ids) | Q(microcredential__unit_id__in=unit_ids)
        )
    return rows.order_by("name", "pk")


def entitlement_delete(
    *, tenant: Tenant, unit_ids: frozenset[int] | None, entitlement_id: int
) -> Entitlement:
    entitlement = entitlements_for_staff(tenant=tenant, unit_ids=unit_ids).filter(pk=entitlement_id).first()
    if entitlement is None:
        raise NotFound(_("No such entitlement."))
    entitlement.delete()
    return entitlement

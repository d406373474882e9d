"""Holding a seat in a run of every part of a bundle at once: all or none.

The learner chooses one offering per part of a stacked microcredential sold as a bundle
(catalog.Microcredential.bundle_discount_percent). Every hold is made in one transaction,
offerings locked in id order (two bundles sharing parts never deadlock); if any part cannot be
held — full (even with a wait-list: a wait-list place is not a held seat), closed, already taken
by the learner — the transaction is rolled back, nothing is held, and the refusal names that part.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import Microcredential, Offering, PublicationStatus
from core.errors import MicrocredError
from enrollment.errors import BundleRefused
from enrollment.models import Enrollment, EnrollmentStatus
from enrollment.services.enroll import enrollment_create
from identity.models import User
from tenants.errors import NotVisible
from tenants.models import Tenant


def bundle_for_sale(*, tenant: Tenant, microcredential_id: int) -> Microcredential:
    """A published stack with parts, sold as a bundle; else NotVisible."""
    bundle = (
        Microcredential.objects.filter(
            tenant=tenant,
            pk=microcredential_id,
            status=PublicationStatus.PUBLISHED,
            bundle_discount_percent__isnull=False,
        )
        .select_related("unit")
        .first()
    )
    if bundle is None or not bundle.parts.exists():
        raise NotVisible(_("No such bundle."))
    return bundle


def bundle_hold(
    *,
    tenant: Tenant,
    learner: User,
    bundle: Microcredential,
    offering_for_part: Mapping[int, int],
    now: datetime | None = None,
) -> list[Enrollment]:
    """Hold a seat in the chosen offering of each part (part id → offering id): every one, or
    none (BundleRefused saying which part and why)."""
    now = now or timezone.now()
    parts = {p.pk: p for p in bundle.parts.all()}
    missing = [p.title for pk, p in sorted(parts.items()) if pk not in offering_for_part]
    if missing:
        raise BundleRefused(_("Choose a run of “%(title)s”.") % {"title": missing[0]})
    chosen = {
        o.pk: o
        for o in Offering.objects.filter(
            tenant=tenant, pk__in=[offering_for_part[pk] for pk in parts], status=PublicationStatus.PUBLISHED
        ).select_related("microcredential")
    }
    for part_id, offering_id in offering_for_part.items():
        offering = chosen.get(offering_id)
        if part_id not in parts or offering is None or offering.microcredential_id != part_id:
            raise BundleRefused(_("That run is not one of this bundle's parts: choose again."))
    held: list[Enrollment] = []
    with transaction.atomic():
        for offering_id in sorted(offering_for_part[pk] for pk in parts):
            title = chosen[offering_id].microcredential.title
            try:
                with transaction.atomic():
                    enrolled = enrollment_create(
                        tenant=tenant, learner=learner, offering_id=offering_id, now=now
                    ).enrollment
            except MicrocredError as exc:
                raise BundleRefused(
                    _("Nothing was held: “%(title)s” cannot be taken now (%(why)s)")
                    % {"title": title, "why": exc.message.rstrip(".")}
                ) from exc
            if enrolled.status != EnrollmentStatus.HELD:
                raise BundleRefused(
                    _("Nothing was held: “%(title)s” is full. Choose another run of it, or try later.")
                    % {"title": title}
                )
            held.append(enrolled)
    return held

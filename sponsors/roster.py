"""What sponsors adds to an offering's roster: which employer sponsored a seat (registered by
SponsorsConfig.ready)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from catalog.models import Offering
from enrollment import extensions
from sponsors.models import PoolSeat
from tenants.models import Tenant


def roster_extra(*, tenant: Tenant, offering: Offering, enrollment_ids: list[int]) -> extensions.RosterExtra:
    sponsored = PoolSeat.objects.filter(
        tenant=tenant, enrollment__offering_id=offering.pk, enrollment_id__in=enrollment_ids
    ).values_list("enrollment_id", "pool__employer__organisation")
    notes: dict[int, tuple[extensions.RosterNote, ...]] = {
        enrollment_id: (extensions.RosterNote(_("Sponsored by %(org)s") % {"org": organisation}),)
        for enrollment_id, organisation in sponsored
        if enrollment_id is not None
    }
    return extensions.RosterExtra(notes=notes)


def register() -> None:
    extensions.roster_extras.register("sponsors", roster_extra)

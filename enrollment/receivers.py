"""What enrollment listens to in the apps below it."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from catalog import hooks
from catalog.models import Offering
from enrollment.services import waitlist_promote


def offer_new_seats_to_waitlist(offering_id: int, seats_added: int) -> None:
    """Capacity went up (committed): offer the new seats to the wait-list at once."""
    offering = Offering.objects.select_related("tenant").filter(pk=offering_id).first()
    if offering is None:
        return
    cause = ngettext("Capacity raised by %(n)d seat.", "Capacity raised by %(n)d seats.", seats_added) % {
        "n": seats_added
    }
    waitlist_promote(tenant=offering.tenant, offering_id=offering_id, cause=cause or _("Capacity raised."))


def register() -> None:
    hooks.capacity_raised.register("offer new seats to the wait-list", offer_new_seats_to_waitlist)

"""What sponsors adds to My learning (enrollment.extensions): who sponsors a seat, whether the
learner shares their progress with them (a link to change it), and cancelling as giving the seat
back to the employer."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from enrollment import extensions
from enrollment.extensions import Extra
from enrollment.models import EnrollmentStatus
from identity.models import User
from sponsors.models import PoolSeat
from tenants.models import Tenant


def my_learning_extras(*, tenant: Tenant, learner: User, enrollment_ids: list[int]) -> dict[int, Extra]:
    if not enrollment_ids:
        return {}
    seats = PoolSeat.objects.filter(
        tenant=tenant, enrollment_id__in=enrollment_ids, enrollment__learner=learner
    ).select_related("pool__employer", "enrollment")
    found: dict[int, Extra] = {}
    for seat in seats:
        assert seat.enrollment is not None  # noqa: S101 - filtered on it
        org = seat.pool.employer.organisation
        shared = (
            _("%(org)s sees your status and completion.")
            if seat.shares_progress
            else _("%(org)s does not see your progress.")
        ) % {"org": org}
        enrollment_id = seat.enrollment.pk
        url = reverse("sponsor-seat", args=[enrollment_id])
        found[enrollment_id] = Extra(
            notes=(_("Seat sponsored by %(org)s.") % {"org": org}, shared),
            links=((_("What %(org)s sees") % {"org": org}, url),),
            cancel_url=reverse("sponsor-seat-cancel", args=[enrollment_id])
            if seat.enrollment.status == EnrollmentStatus.CONFIRMED
            else "",
        )
    return found


def register() -> None:
    extensions.my_learning.register("sponsors", my_learning_extras)

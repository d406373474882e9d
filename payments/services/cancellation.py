"""A learner cancels a paid seat from My learning: the refund their order line's policy snapshot
promises (catalog.refunds.refund_quote, read from the snapshot kept at purchase, so a policy
changed later changes nothing), shown before they confirm (selectors.cancel_preview), then the
cancellation and the refund in one transaction.

The seat: when the policy frees it, it goes to the wait-list's head at once (enrollment's
services). When the policy keeps it ("your seat is not passed on to anyone else"), the
enrollment is cancelled but its seat stays taken and is offered to nobody: the unit keeps what
the policy did not refund, and the course runs one learner short (a unit admin can still give
the seat away by hand, e.g. by enrolling someone when they raise the capacity).
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from enrollment import services as enrollment_services
from enrollment.models import Enrollment
from identity.models import User
from payments import selectors
from payments.errors import RefundRefused
from payments.models import Refund, RefundRequester
from payments.services.refund_requests import refund_request
from tenants.models import Tenant


def paid_enrollment_cancel(
    *,
    tenant: Tenant,
    learner: User,
    enrollment_id: int,
    expected_minor: int | None = None,
    now: datetime | None = None,
) -> tuple[Enrollment, Refund | None]:
    """Cancel the learner's paid seat and ask for the refund the policy gives (none when it gives
    nothing). `expected_minor`: the amount the learner was shown; if a deadline passed since, the
    cancellation is refused with the new amount, and nothing changes."""
    now = now or timezone.now()
    preview = selectors.cancel_preview(tenant=tenant, learner=learner, enrollment_id=enrollment_id, now=now)
    if expected_minor is not None and expected_minor != preview.amount_minor:
        raise RefundRefused(
            _("What you would get back changed to %(amount)s: please look again before you confirm.")
            % {"amount": preview.amount},
            code="refund_quote_changed",
        )
    with transaction.atomic():
        refund = None
        if preview.amount_minor > 0:  # the line first (as payments locks order lines before seats)
            refund = refund_request(
                tenant=tenant,
                line_id=preview.line.pk,
                amount_minor=preview.amount_minor,
                reason=_("Cancelled by the learner: %(tier)s") % {"tier": preview.quote.tier},
                requested_by_kind=RefundRequester.LEARNER,
                requested_by=learner,
                cancelled_enrollment=True,
                now=now,
            )
        enrollment = enrollment_services.enrollment_cancel(
            tenant=tenant,
            learner=learner,
            enrollment_id=preview.enrollment.pk,
            reason=_("Cancelled with a refund of %(amount)s.") % {"amount": preview.amount},
            now=now,
            keep_seat=not preview.quote.frees_seat,
        )
    return enrollment, refund

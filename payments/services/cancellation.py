"""A learner cancels a paid seat from My learning: the refund their order line's policy snapshot
promises (catalog.refunds.refund_quote, read from the snapshot kept at purchase, so a policy
changed later changes nothing), shown before they confirm, then the cancellation and the refund
in one transaction.

The seat: when the policy frees it, it goes to the wait-list's head at once (enrollment's
services). When the policy keeps it ("your seat is not passed on to anyone else"), the
enrollment is cancelled but its seat stays taken and is offered to nobody: the unit keeps what
the policy did not refund, and the course runs one learner short (a unit admin can still give
the seat away by hand, e.g. by enrolling someone when they raise the capacity).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.money import format_money
from catalog.refunds import RefundQuote, policy_in_words_for_snapshot, refund_quote
from core.errors import NotFound
from enrollment import selectors as enrollment_selectors
from enrollment import services as enrollment_services
from enrollment.models import Enrollment, EnrollmentStatus
from identity.models import User
from payments import selectors
from payments.errors import RefundRefused
from payments.models import OrderLine, Refund, RefundRequester
from payments.services.refund_requests import refund_request
from tenants.models import Tenant


@dataclass(frozen=True)
class CancelPreview:
    enrollment: Enrollment
    line: OrderLine
    quote: RefundQuote
    amount_minor: int  # what comes back: the quote, never more than is left to refund
    policy_words: list[str]
    already_refunded_minor: int = 0  # given back before (a unit's goodwill refund), or on its way

    @property
    def already_refunded(self) -> str:
        return format_money(self.already_refunded_minor, self.line.currency)

    @property
    def remaining(self) -> str:
        """What is still paid: the policy's share is taken of this."""
        return format_money(self.line.amount_minor - self.already_refunded_minor, self.line.currency)

    @property
    def total(self) -> str:
        return format_money(self.already_refunded_minor + self.amount_minor, self.line.currency)

    @property
    def amount(self) -> str:
        return format_money(self.amount_minor, self.line.currency)

    @property
    def paid(self) -> str:
        return format_money(self.line.amount_minor, self.line.currency)


def cancel_preview(
    *, tenant: Tenant, learner: User, enrollment_id: int, now: datetime | None = None
) -> CancelPreview:
    """What cancelling now gives back. NotFound unless it is the learner's paid, confirmed seat."""
    now = now or timezone.now()
    enrollment = enrollment_selectors.enrollment_for_learner(
        tenant=tenant, learner=learner, enrollment_id=enrollment_id
    )
    line = selectors.paid_line_of(tenant=tenant, enrollment_id=enrollment.pk)
    if line is None or enrollment.status != EnrollmentStatus.CONFIRMED:
        raise NotFound(_("There is no paid seat to cancel here."))
    offering = line.offering
    # The rule: the policy's share is of what is still paid. Money a unit already gave back (a
    # goodwill refund) is not refunded again by the policy, so in all the learner gets at most
    # what the policy allows on the full price plus what staff chose to give.
    remaining = selectors.refundable_minor(line)
    quote = refund_quote(
        snapshot=line.refund_policy,
        paid_minor=remaining,
        currency=line.currency,
        starts_at=offering.starts_at,
        time_zone=offering.time_zone,
        at=now,
    )
    return CancelPreview(
        enrollment=enrollment,
        line=line,
        quote=quote,
        amount_minor=min(quote.amount_minor, remaining),
        already_refunded_minor=line.amount_minor - remaining,
        policy_words=policy_in_words_for_snapshot(
            line.refund_policy, starts_at=offering.starts_at, time_zone=offering.time_zone
        ),
    )


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
    preview = cancel_preview(tenant=tenant, learner=learner, enrollment_id=enrollment_id, now=now)
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

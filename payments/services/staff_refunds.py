"""Unit admins' refunds: any amount up to what is left on an order line, with a reason, with or
without cancelling the enrollment; a whole offering cancelled with every paid learner refunded
in full (a batch on the rate-limited refund task; its progress is read by
selectors.batch_progress). Failed refunds are retried or resolved by hand (refund_requests)."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog import selectors as catalog_selectors
from catalog import services as catalog_services
from catalog.models import PublicationStatus
from core.errors import NotFound
from core.jobs import enqueue_after_commit
from enrollment import services as enrollment_services
from enrollment.models import Enrollment
from identity.models import User
from payments.errors import RefundRefused
from payments.models import (
    LineStatus,
    OrderLine,
    OrderStatus,
    Refund,
    RefundBatch,
    RefundRequester,
)
from payments.selectors import refundable_minor
from payments.services.refund_requests import refund_request
from tenants.models import Tenant
from tenants.selectors import StaffAccess

# What staff_cancel cancels (a completed course stays completed).
ACTIVE = enrollment_services.LEARNER_CANCELLABLE


def _managed_line(*, tenant: Tenant, access: StaffAccess, line_id: int) -> OrderLine:
    line = OrderLine.objects.select_related("unit", "order").filter(tenant=tenant, pk=line_id).first()
    if line is None or not access.manages_unit(line.unit):
        raise NotFound(_("No such order line."))
    return line


def staff_refund(
    *,
    tenant: Tenant,
    access: StaffAccess,
    actor: User,
    line_id: int,
    amount_minor: int,
    reason: str,
    cancel_enrollment: bool = False,
    now: datetime | None = None,
) -> Refund:
    """A unit admin refunds part or all of what is left on a line of their unit, with a reason,
    and cancels the enrollment too if asked (its seat goes to the wait-list). Refused, nothing
    changed, beyond what is left or without a reason."""
    now = now or timezone.now()
    line = _managed_line(tenant=tenant, access=access, line_id=line_id)
    with transaction.atomic():
        refund = refund_request(
            tenant=tenant,
            line_id=line.pk,
            amount_minor=amount_minor,
            reason=reason,
            requested_by_kind=RefundRequester.STAFF,
            requested_by=actor,
            cancelled_enrollment=cancel_enrollment,
            now=now,
        )
        if cancel_enrollment:
            seat = Enrollment.objects.filter(pk=line.seat_id).values_list("status", flat=True).first()
            if seat in ACTIVE:
                enrollment_services.staff_cancel(
                    tenant=tenant,
                    access=access,
                    actor=actor,
                    enrollment_id=line.seat_id,
                    reason=reason,
                    now=now,
                    notify=False,  # the refund's notice says both (refund_notices)
                )
            enqueue_after_commit("payments.refund_notice", refund.pk)
    return refund


def offering_cancel(
    *,
    tenant: Tenant,
    access: StaffAccess,
    actor: User,
    offering_id: int,
    reason: str,
    now: datetime | None = None,
) -> RefundBatch:
    """Cancel a whole offering: it is archived (off the catalog, nobody new enrolls), every
    active enrollment is cancelled (each learner told by
    enrollment's message), every paid line refunded in full of what is left, through the bulk
    refund task (rate limited). A paid learner gets one e-mail, the refund's notice: the seat is
    cancelled, and how much goes back to which card; the others enrollment's own message."""
    now = now or timezone.now()
    offering = catalog_selectors.offering_for_staff(tenant=tenant, access=access, offering_id=offering_id)
    reason = reason.strip()
    if not reason:
        message = _("Say why the offering is cancelled: the learners are told.")
        raise RefundRefused(message, code="refund_reason_missing", fields={"reason": [message]})
    if offering.status != PublicationStatus.ARCHIVED:  # first, on its own: nobody new enrolls
        catalog_services.offering_archive(tenant=tenant, access=access, actor=actor, offering_id=offering.pk)
    with transaction.atomic():
        batch = RefundBatch.objects.create(
            tenant=tenant, offering=offering, requested_by=actor, reason=reason, created_at=now
        )
        lines = OrderLine.objects.select_related("order").filter(
            tenant=tenant, offering=offering, order__status=OrderStatus.PAID, status=LineStatus.CONFIRMED
        )
        told: set[int] = set()  # seats whose learner the refund's notice tells
        for line in lines.order_by("pk"):
            left = refundable_minor(line)
            if left > 0:
                told.add(line.seat_id)
                refund_request(
                    tenant=tenant,
                    line_id=line.pk,
                    amount_minor=left,
                    reason=_("The offering was cancelled: %(reason)s") % {"reason": reason},
                    requested_by_kind=RefundRequester.STAFF,
                    requested_by=actor,
                    cancelled_enrollment=True,
                    batch=batch,
                    bulk=True,
                    now=now,
                )
        active = Enrollment.objects.filter(tenant=tenant, offering=offering, status__in=ACTIVE)
        for enrollment_id in active.order_by("pk").values_list("pk", flat=True):
            enrollment_services.staff_cancel(
                tenant=tenant,
                access=access,
                actor=actor,
                enrollment_id=enrollment_id,
                reason=reason,
                now=now,
                notify=enrollment_id not in told,
            )
        for refund_id in Refund.objects.filter(batch=batch).values_list("pk", flat=True):
            enqueue_after_commit("payments.refund_notice", refund_id)
    return batch

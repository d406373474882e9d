"""Unit admins' refunds: any amount up to what is left on an order line, with a reason, with or
without cancelling the enrollment; a whole offering cancelled with every paid learner refunded
in full (a batch on the rate-limited refund task, its progress shown to the admin); failed
refunds retried or resolved by hand. Finance reads every refund of its units."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog import selectors as catalog_selectors
from catalog import services as catalog_services
from catalog.models import PublicationStatus
from core.errors import NotFound
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
    RefundState,
    refund_counted,
)
from payments.services import refunds
from tenants.models import Tenant
from tenants.selectors import StaffAccess

logger = logging.getLogger(__name__)
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
        refund = refunds.refund_request(
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
                    notify=False,  # the refund's notice says both (refunds.refund_notice_send)
                )
            _enqueue_notices([refund.pk])
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
            left = refunds.refundable_minor(line)
            if left > 0:
                told.add(line.seat_id)
                refunds.refund_request(
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
        _enqueue_notices(list(Refund.objects.filter(batch=batch).values_list("pk", flat=True)))
    return batch


def _enqueue_notices(refund_ids: list[int]) -> None:
    from payments import tasks

    def send() -> None:
        for refund_id in refund_ids:
            try:
                tasks.refund_notice_send.delay(refund_id)
            except Exception:
                logger.exception("could not enqueue the notice of refund %s; the sweep will", refund_id)

    transaction.on_commit(send)


@dataclass(frozen=True)
class BatchProgress:
    total: int
    succeeded: int
    failed: int
    pending: int

    @property
    def done(self) -> bool:
        return self.pending == 0


def batch_progress(batch: RefundBatch) -> BatchProgress:
    """A refund retried counts once: as what its retry became."""
    counts = Refund.objects.filter(batch=batch).aggregate(
        succeeded=Count(
            "pk", filter=Q(state=RefundState.SUCCEEDED) | Q(retried_as__state=RefundState.SUCCEEDED)
        ),
        failed=Count("pk", filter=Q(state=RefundState.FAILED)),
        resolved=Count("pk", filter=Q(state=RefundState.RESOLVED, retried_as__isnull=True)),
        pending=Count(
            "pk",
            filter=Q(state__in=(RefundState.REQUESTED, RefundState.PROCESSING))
            | Q(retried_as__state__in=(RefundState.REQUESTED, RefundState.PROCESSING)),
        ),
        total=Count("pk"),
    )
    return BatchProgress(
        total=counts["total"],
        succeeded=counts["succeeded"] + counts["resolved"],
        failed=counts["failed"],
        pending=counts["pending"],
    )


# ------------------------------------------------------------------------------------- reads


def refunds_for_staff(
    *, tenant: Tenant, access: StaffAccess, state: str = "", unit_id: int | None = None, query: str = ""
) -> QuerySet[Refund]:
    """Every refund of the units the person reaches (finance: read), failed ones first."""
    if access.tenant_id != tenant.pk or not access.is_staff:
        return Refund.objects.none()
    found = Refund.objects.filter(tenant=tenant)
    if access.unit_ids is not None:
        found = found.filter(line__unit_id__in=access.unit_ids)
    if state:
        found = found.filter(state=state)
    if unit_id:
        found = found.filter(line__unit_id=unit_id)
    if query.strip():
        q = query.strip()
        found = found.filter(
            Q(line__order__email__icontains=q) | Q(line__order__reference__iexact=q) | Q(reason__icontains=q)
        )
    from django.db.models import Case, IntegerField, Value, When

    return (
        found.select_related("line__order", "line__unit", "line__offering__microcredential", "requested_by")
        .annotate(
            failed_first=Case(
                When(state=RefundState.FAILED, then=Value(0)), default=Value(1), output_field=IntegerField()
            )
        )
        .order_by("failed_first", "-created_at", "-pk")
    )


@dataclass(frozen=True)
class LineRow:
    line: OrderLine
    refunded_minor: int
    refundable_minor: int
    enrollment_status: str


def offering_lines(*, tenant: Tenant, access: StaffAccess, offering_id: int) -> list[LineRow]:
    """The paid lines of an offering the person manages, with what is left to refund on each."""
    offering = catalog_selectors.offering_for_staff(tenant=tenant, access=access, offering_id=offering_id)
    lines = list(
        OrderLine.objects.filter(tenant=tenant, offering=offering, order__status=OrderStatus.PAID)
        .select_related("order", "enrollment", "seat_enrollment", "unit")
        .prefetch_related(
            Prefetch(
                "refunds", queryset=Refund.objects.select_related("requested_by").order_by("created_at", "pk")
            )
        )
        .annotate(counted=Sum("refunds__amount_minor", filter=refund_counted("refunds__")))
        .order_by("order__email", "pk")
    )
    return [
        LineRow(
            line=line,
            refunded_minor=int(line.counted or 0),
            refundable_minor=max(0, line.amount_minor - int(line.counted or 0)),
            enrollment_status=line.seat.status,
        )
        for line in lines
    ]

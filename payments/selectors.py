"""Reads of orders and refunds, always scoped to the tenant (and the learner for learners'
pages, the person's units for staff)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Case, Count, IntegerField, Prefetch, Q, QuerySet, Sum, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog import selectors as catalog_selectors
from catalog.models import Microcredential, Offering, PublicationStatus
from catalog.refunds import RefundQuote, policy_in_words_for_snapshot, refund_quote
from core.errors import NotFound
from core.money import format_money
from enrollment import selectors as enrollment_selectors
from enrollment.models import Enrollment, EnrollmentStatus
from identity.models import User
from payments.models import (
    LIVE_ORDER_STATES,
    LineStatus,
    Order,
    OrderLine,
    OrderStatus,
    Refund,
    RefundBatch,
    RefundState,
    refund_counted,
)
from tenants.errors import NotVisible
from tenants.models import Tenant
from tenants.selectors import StaffAccess


def orders_for_learner(*, tenant: Tenant, learner: User) -> QuerySet[Order]:
    return (
        Order.objects.filter(tenant=tenant, learner=learner)
        .exclude(status="draft")
        .prefetch_related("lines__unit")
        .order_by("-created_at", "-pk")
    )


def order_for_learner(*, tenant: Tenant, learner: User, reference: str) -> Order:
    order = (
        Order.objects.filter(tenant=tenant, learner=learner, reference=reference)
        .select_related("tenant")
        .prefetch_related("lines__unit", "lines__offering__microcredential")
        .first()
    )
    if order is None:
        raise NotVisible(_("No such order."))
    return order


def refunded_minor(line: OrderLine) -> int:
    """What is on its way back or gone back on this line (requested, processing, succeeded, or
    resolved by hand)."""
    total = line.refunds.filter(refund_counted()).aggregate(total=Sum("amount_minor"))["total"]
    return int(total or 0)


def refundable_minor(line: OrderLine) -> int:
    """What may still be refunded on this line (0 unless its order was paid)."""
    if line.order.status != OrderStatus.PAID:
        return 0
    return max(0, line.amount_minor - refunded_minor(line))


def paid_line_of(*, tenant: Tenant, enrollment_id: int) -> OrderLine | None:
    """The paid order line that bought this enrollment's seat, if any."""
    return (
        OrderLine.objects.select_related("order", "offering", "unit")
        .filter(tenant=tenant, order__status=OrderStatus.PAID, status=LineStatus.CONFIRMED)
        .filter(
            Q(seat_enrollment_id=enrollment_id) | Q(enrollment_id=enrollment_id, seat_enrollment__isnull=True)
        )
        .order_by("-pk")
        .first()
    )


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
    line = paid_line_of(tenant=tenant, enrollment_id=enrollment.pk)
    if line is None or enrollment.status != EnrollmentStatus.CONFIRMED:
        raise NotFound(_("There is no paid seat to cancel here."))
    offering = line.offering
    # The rule: the policy's share is of what is still paid. Money a unit already gave back (a
    # goodwill refund) is not refunded again by the policy, so in all the learner gets at most
    # what the policy allows on the full price plus what staff chose to give.
    remaining = refundable_minor(line)
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


def _paid_or_payable() -> Q:
    """An order that uses its code: paid, or live and still payable (orders._code_uses)."""
    return Q(status=OrderStatus.PAID) | Q(
        status__in=sorted(LIVE_ORDER_STATES), checkout_expires_at__gt=timezone.now()
    )


def code_uses(*, code_ids: list[int]) -> dict[int, int]:
    """Uses so far of each code: paid orders and those being paid."""
    rows = (
        Order.objects.filter(_paid_or_payable(), promotion_code_id__in=code_ids)
        .values("promotion_code_id")
        .annotate(n=Count("pk"))
    )
    return {row["promotion_code_id"]: row["n"] for row in rows}


def batch_uses(*, batch_ids: list[int]) -> dict[int, int]:
    """How many of each batch's single-use codes are used (or being paid with)."""
    rows = (
        Order.objects.filter(_paid_or_payable(), promotion_code__batch_id__in=batch_ids)
        .values("promotion_code__batch_id")
        .annotate(n=Count("promotion_code_id", distinct=True))
    )
    return {row["promotion_code__batch_id"]: row["n"] for row in rows}


@dataclass(frozen=True)
class BundlePart:
    microcredential: Microcredential
    runs: list[Offering]  # its offerings open for enrollment now, soonest first


def bundle_parts(*, tenant: Tenant, bundle: Microcredential, now: datetime | None = None) -> list[BundlePart]:
    """Each part of the bundle with its runs open for enrollment (two statements)."""
    now = now or timezone.now()
    parts = list(bundle.parts.order_by("title"))
    runs = (
        Offering.objects.filter(
            tenant=tenant,
            microcredential__in=parts,
            status=PublicationStatus.PUBLISHED,
            enrollment_opens_at__lte=now,
            enrollment_closes_at__gt=now,
        )
        .select_related("microcredential__unit")
        .order_by("starts_at", "pk")
    )
    by_part: dict[int, list[Offering]] = {p.pk: [] for p in parts}
    for run in runs:
        by_part[run.microcredential_id].append(run)
    return [BundlePart(p, by_part[p.pk][:6]) for p in parts]

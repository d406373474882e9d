"""Orders, their lines, the Stripe events received, and each tenant's Stripe keys.

An order is what a learner pays for at once: one or more of their held paid enrollments (possibly
of several units), in one currency. Its status only moves forward (see ORDER_RANK): a late or
repeated event never moves an order back. Each line belongs to the unit that owns the offering.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from catalog.models import Microcredential, Offering
from enrollment.models import Enrollment
from promotions.models import PromotionCode
from tenants.models import Tenant, Unit


class OrderStatus(models.TextChoices):
    DRAFT = "draft", _("Being prepared")
    OPEN = "open", _("Awaiting payment")
    PROCESSING = "processing", _("Payment processing")
    PAID = "paid", _("Paid")
    EXPIRED = "expired", _("Expired")
    FAILED = "failed", _("Payment failed")


# An order moves only to a higher rank. `paid` outranks `expired`: a payment that arrives after
# the order expired on our side is kept (its seats re-taken or refunded), never lost.
ORDER_RANK = {
    OrderStatus.DRAFT: 0,
    OrderStatus.OPEN: 1,
    OrderStatus.PROCESSING: 2,
    OrderStatus.EXPIRED: 3,
    OrderStatus.FAILED: 3,
    OrderStatus.PAID: 4,
}
LIVE_ORDER_STATES = frozenset({OrderStatus.DRAFT, OrderStatus.OPEN, OrderStatus.PROCESSING})


class Order(models.Model):
    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    learner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="orders")
    reference = models.CharField(max_length=32, unique=True)
    email = models.EmailField()
    currency = models.CharField(max_length=3)
    amount_minor = models.PositiveBigIntegerField()  # what the learner pays: Σ lines' amount_minor
    discount_minor = models.PositiveBigIntegerField(default=0)  # Σ lines' discount_minor
    promotion_code = models.ForeignKey(
        PromotionCode, on_delete=models.PROTECT, null=True, blank=True, related_name="orders"
    )
    # Sold as a bundle: a seat in a run of each part of this stack, at its bundle discount.
    bundle = models.ForeignKey(
        Microcredential, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # A fee waiver (nothing to pay: a 100 % code, or staff's waiver): why, and by whom if staff.
    waiver_reason = models.CharField(max_length=300, blank=True)
    waived_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    status = models.CharField(max_length=20, choices=OrderStatus.choices, default=OrderStatus.DRAFT)
    checkout_session_id = models.CharField(max_length=255, blank=True)
    checkout_url = models.URLField(max_length=2000, blank=True)
    checkout_expires_at = models.DateTimeField()
    payment_intent_id = models.CharField(max_length=255, blank=True)
    charge_id = models.CharField(max_length=255, blank=True)
    # A later order took this one's seats over (the learner started another checkout for them).
    superseded_by = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    paid_at = models.DateTimeField(null=True, blank=True)
    settled_at = models.DateTimeField(null=True, blank=True)
    receipt_sent_at = models.DateTimeField(null=True, blank=True)  # the mail server took it
    receipt_claimed_at = models.DateTimeField(null=True, blank=True)  # a sender has it (lapses)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["tenant", "learner", "created_at"], name="order_learner"),
            models.Index(fields=["checkout_session_id"], name="order_session"),
            # A payout's charge lines find their orders by charge (finance.origins).
            models.Index(fields=["tenant", "charge_id"], name="order_charge"),
            # A code's uses are counted under its row lock (payments.services.orders).
            models.Index(
                fields=["promotion_code", "status", "learner"],
                condition=Q(promotion_code__isnull=False),
                name="order_code_uses",
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=OrderStatus.values), name="order_status_known"),
            models.CheckConstraint(condition=Q(currency__regex=r"^[A-Z]{3}$"), name="order_currency_iso"),
            models.UniqueConstraint(
                fields=["checkout_session_id"],
                condition=~Q(checkout_session_id=""),
                name="order_one_per_session",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} ({self.status})"

    @property
    def transfer_group(self) -> str:
        return f"order_{self.reference}"


class LineStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting payment")
    CONFIRMED = "confirmed", _("Seat confirmed")
    RELEASED = "released", _("Hold released")
    REFUND_DUE = "refund_due", _("Paid late, no seat: refund on its way")
    REFUNDED = "refunded", _("Paid late, no seat: refunded")


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="lines")
    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    offering = models.ForeignKey(Offering, on_delete=models.PROTECT, related_name="+")
    enrollment = models.ForeignKey(Enrollment, on_delete=models.PROTECT, related_name="order_lines")
    # The enrollment that got the seat when the payment came after the hold expired.
    seat_enrollment = models.ForeignKey(
        Enrollment, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    # What the learner pays for the line (refunds give back at most this), its list price, and
    # the promotion code's or waiver's part of it, which the line's unit bears.
    amount_minor = models.PositiveBigIntegerField()
    list_amount_minor = models.PositiveBigIntegerField()
    discount_minor = models.PositiveBigIntegerField(default=0)
    currency = models.CharField(max_length=3)
    description = models.CharField(max_length=300)
    # The refund policy in force at purchase (issue 7 reads it).
    refund_policy = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=20, choices=LineStatus.choices, default=LineStatus.PENDING)
    refund_id = models.CharField(max_length=255, blank=True)
    refund_notified_at = models.DateTimeField(null=True, blank=True)  # the mail server took it
    refund_notice_claimed_at = models.DateTimeField(null=True, blank=True)  # a sender has it (lapses)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=LineStatus.values), name="order_line_status_known"),
            models.UniqueConstraint(fields=["order", "enrollment"], name="order_line_one_per_enrollment"),
            models.CheckConstraint(
                condition=Q(list_amount_minor=F("amount_minor") + F("discount_minor")),
                name="order_line_discount_adds_up",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.description}: {self.amount_minor} {self.currency}"

    @property
    def line_ref(self) -> str:
        return f"line:{self.pk}"

    @property
    def seat_id(self) -> int:
        """The enrollment that holds this line's seat: a late payment's may be a new one."""
        return self.seat_enrollment_id or self.enrollment_id

    @property
    def seat(self) -> Enrollment:
        """As seat_id (select_related both enrollments to read it without queries)."""
        return self.seat_enrollment or self.enrollment


class OrderEvent(models.Model):
    """Append-only: what happened to an order (who or which Stripe event, when, from, to)."""

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="events")
    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=40)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20)
    stripe_event_id = models.CharField(max_length=255, blank=True)
    details = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.action} {self.from_status or '∅'}→{self.to_status}"


class StripeEvent(models.Model):
    """A verified webhook event, stored by its id before it is applied (a duplicate is a no-op)."""

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    stripe_id = models.CharField(max_length=255)
    type = models.CharField(max_length=100)
    payload = models.JSONField()
    received_at = models.DateTimeField(default=timezone.now)
    applied_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["received_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "stripe_id"], name="stripe_event_once"),
        ]
        indexes = [
            models.Index(
                fields=["received_at"], condition=Q(applied_at__isnull=True), name="stripe_event_unapplied"
            )
        ]

    def __str__(self) -> str:
        return f"{self.stripe_id} {self.type}"


class TenantStripeSettings(models.Model):
    """A tenant's own Stripe keys. Each secret is stored encrypted (payments.secrets) or named
    by an environment variable; neither is ever shown back in full."""

    tenant = models.OneToOneField(Tenant, on_delete=models.CASCADE, related_name="stripe_settings")
    secret_key_encrypted = models.TextField(blank=True)
    secret_key_env = models.CharField(
        max_length=100, blank=True, help_text=_("Or the environment variable holding the secret key.")
    )
    webhook_secret_encrypted = models.TextField(blank=True)
    webhook_secret_env = models.CharField(
        max_length=100, blank=True, help_text=_("Or the environment variable holding the webhook secret.")
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "tenant Stripe settings"
        verbose_name_plural = "tenant Stripe settings"

    def __str__(self) -> str:
        return f"Stripe settings of {self.tenant_id}"


class RefundState(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    PROCESSING = "processing", _("Processing")
    SUCCEEDED = "succeeded", _("Refunded")
    FAILED = "failed", _("Failed")
    RESOLVED = "resolved", _("Resolved by hand")


# Counted against what a line may still refund: money on its way or gone back, and a failed
# refund resolved by hand (paid back another way: its note says how), so the same money is never
# refunded twice. A failed refund does not count, nor one retried as a new refund (the new one does).
REFUND_COUNTED = frozenset({RefundState.REQUESTED, RefundState.PROCESSING, RefundState.SUCCEEDED})


def refund_counted(prefix: str = "") -> Q:
    """The refunds that count against their line (see REFUND_COUNTED), as a filter; `prefix`
    reaches them from another model (e.g. "refunds__")."""
    return Q(**{f"{prefix}state__in": sorted(REFUND_COUNTED)}) | Q(
        **{f"{prefix}state": RefundState.RESOLVED, f"{prefix}retried_as__isnull": True}
    )


# Which moves are allowed (monotonic; `failed` after `succeeded` is Stripe failing it later).
REFUND_MOVES: dict[str, frozenset[str]] = {
    RefundState.REQUESTED: frozenset({RefundState.PROCESSING, RefundState.SUCCEEDED, RefundState.FAILED}),
    RefundState.PROCESSING: frozenset({RefundState.SUCCEEDED, RefundState.FAILED}),
    RefundState.SUCCEEDED: frozenset({RefundState.FAILED}),
    RefundState.FAILED: frozenset({RefundState.RESOLVED}),
    RefundState.RESOLVED: frozenset(),
}


class RefundRequester(models.TextChoices):
    LEARNER = "learner", _("Learner")
    STAFF = "staff", _("Staff")
    SYSTEM = "system", _("Automatic")


def refund_announced() -> Q:
    """Refunds that came with staff cancelling the seat (one learner's, or a whole offering's):
    the learner is sent one notice saying the seat is cancelled and what is refunded, so a later
    success is not mailed again; only a failure is. A retry is mailed as any refund."""
    return Q(batch__isnull=False) | Q(
        cancelled_enrollment=True, requested_by_kind=RefundRequester.STAFF, retry_of__isnull=True
    )


class Refund(models.Model):
    """Money going back on one order line, carried out by a Celery job (payments.services.refund_execution).

    The Stripe call's idempotency key is `refund:<id>` (a late-payment refund keeps its older key
    `order:<order>:late-refund:<line>`), so a retried job never refunds twice.
    """

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    line = models.ForeignKey(OrderLine, on_delete=models.PROTECT, related_name="refunds")
    amount_minor = models.PositiveBigIntegerField()
    currency = models.CharField(max_length=3)
    reason = models.TextField()
    requested_by_kind = models.CharField(max_length=10, choices=RefundRequester.choices)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    state = models.CharField(max_length=20, choices=RefundState.choices, default=RefundState.REQUESTED)
    idempotency_key = models.CharField(max_length=120, blank=True)
    stripe_refund_id = models.CharField(max_length=255, blank=True)
    failure_reason = models.CharField(max_length=500, blank=True)
    resolution_note = models.TextField(blank=True)
    # The enrollment was cancelled with this refund (learner self-service, staff, offering cancelled).
    cancelled_enrollment = models.BooleanField(default=False)
    # A bulk refund (an offering cancelled) this refund belongs to.
    batch = models.ForeignKey(
        "RefundBatch", on_delete=models.PROTECT, null=True, blank=True, related_name="refunds"
    )
    retry_of = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="retried_as"
    )
    attempts = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    succeeded_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    # The ledger has the refund (and a connected unit's transfer reversal): set by refund_settle.
    settled_at = models.DateTimeField(null=True, blank=True)
    transfer_reversal_id = models.CharField(max_length=255, blank=True)
    transfer_reversed_minor = models.PositiveBigIntegerField(default=0)
    # The learner was e-mailed that the seat is cancelled and this refund is on its way (see
    # refund_announced).
    notified_at = models.DateTimeField(null=True, blank=True)
    # The state (succeeded, failed, resolved) the learner was last e-mailed about, written once
    # the mail server took it (refund_notices).
    outcome_notified = models.CharField(max_length=20, blank=True, default="")
    # A sender has this refund's mail (notice, outcome or resolution); a dead sender's claim lapses.
    mail_claimed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["tenant", "state", "created_at"], name="refund_state"),
            models.Index(fields=["stripe_refund_id"], name="refund_stripe_id"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(state__in=RefundState.values), name="refund_state_known"),
            models.CheckConstraint(condition=Q(amount_minor__gt=0), name="refund_amount_positive"),
            models.CheckConstraint(condition=Q(currency__regex=r"^[A-Z]{3}$"), name="refund_currency_iso"),
            models.CheckConstraint(
                condition=Q(requested_by_kind__in=RefundRequester.values), name="refund_requester_known"
            ),
            models.UniqueConstraint(
                fields=["tenant", "stripe_refund_id"],
                condition=~Q(stripe_refund_id=""),
                name="refund_one_per_stripe_refund",
            ),
        ]

    def __str__(self) -> str:
        return f"refund {self.pk}: {self.amount_minor} {self.currency} ({self.state})"

    @property
    def is_announced(self) -> bool:
        """See refund_announced."""
        return self.batch_id is not None or (
            self.cancelled_enrollment
            and self.requested_by_kind == RefundRequester.STAFF
            and self.retry_of_id is None
        )

    @property
    def key(self) -> str:
        return self.idempotency_key or f"refund:{self.pk}"


class RefundTransition(models.Model):
    """Append-only: each move of a refund (who or which Stripe event, when, from, to, why)."""

    refund = models.ForeignKey(Refund, on_delete=models.PROTECT, related_name="transitions")
    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    from_state = models.CharField(max_length=20, blank=True)
    to_state = models.CharField(max_length=20)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    why = models.TextField(blank=True)
    stripe_event_id = models.CharField(max_length=255, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.from_state or '∅'}→{self.to_state}"


class RefundBatch(models.Model):
    """Every paid learner of a cancelled offering refunded in full: the admin watches its progress."""

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    offering = models.ForeignKey(Offering, on_delete=models.PROTECT, related_name="+")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"batch {self.pk} of offering {self.offering_id}"

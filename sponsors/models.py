"""Employers that buy pools of seats for their staff, the contacts who hand the seats out, and
each seat of a pool (a one-time code, redeemed once into a confirmed enrollment).

Money is integer minor units plus a currency code. A pool's seats are reserved on the offering
(its `seats_taken`) when the pool is created, so the offering is never oversold.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from catalog.models import Offering
from enrollment.models import Enrollment
from tenants.models import Tenant, Unit

CURRENCY_RE = r"^[A-Z]{3}$"


class Unredeemed(models.TextChoices):
    """What the agreement says happens to the seats nobody redeemed by the pool's redeem-by time."""

    EXPIRE = "expire", _("They expire (paid for; the seats go back to the offering)")
    CREDIT = "credit", _("They are credited (their price taken off the invoice, or paid back)")


class Employer(models.Model):
    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    organisation = models.CharField(_("organisation"), max_length=200)
    billing_email = models.EmailField(_("billing e-mail"))
    billing_address = models.TextField(_("billing address"), blank=True)
    po_number = models.CharField(_("purchase order number"), max_length=100, blank=True)
    stripe_customer_id = models.CharField(max_length=255, blank=True)
    # The agreement for seats not handed out in time; each new pool keeps the one of its day.
    unredeemed = models.CharField(
        _("seats not handed out in time"),
        max_length=10,
        choices=Unredeemed.choices,
        default=Unredeemed.EXPIRE,
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "organisation"], name="sponsors_employer_unique_name"),
        ]

    def __str__(self) -> str:
        return self.organisation


class EmployerContact(models.Model):
    """Someone at the employer who hands out its seats; they sign in by e-mail code like a learner."""

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    employer = models.ForeignKey(Employer, on_delete=models.CASCADE, related_name="contacts")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    # The e-mail telling them where the portal is: claimed by its sender, sent once.
    told_claimed_at = models.DateTimeField(null=True, blank=True)
    told_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["employer", "user"], name="sponsors_contact_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}@{self.employer_id}"


class PoolStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    CHECKOUT = "checkout", _("Awaiting card payment")
    INVOICED = "invoiced", _("Invoiced")
    PAID = "paid", _("Paid")
    OVERDUE = "overdue", _("Overdue")
    VOID = "void", _("Void")


class SeatPool(models.Model):
    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    employer = models.ForeignKey(Employer, on_delete=models.PROTECT, related_name="pools")
    offering = models.ForeignKey(Offering, on_delete=models.PROTECT, related_name="+")
    seats = models.PositiveIntegerField()
    unit_price_minor = models.PositiveBigIntegerField()
    currency = models.CharField(max_length=3)
    days_until_due = models.PositiveIntegerField(default=30)
    status = models.CharField(max_length=20, choices=PoolStatus.choices, default=PoolStatus.DRAFT)
    stripe_invoice_id = models.CharField(max_length=255, blank=True)
    invoice_number = models.CharField(max_length=100, blank=True)
    hosted_invoice_url = models.URLField(max_length=2000, blank=True)
    invoice_pdf_url = models.URLField(max_length=2000, blank=True)
    # Bought by card: the Stripe Checkout Session (its invoice, made by Stripe once paid, is the
    # pool's invoice as above).
    checkout_session_id = models.CharField(max_length=255, blank=True)
    checkout_url = models.URLField(max_length=2000, blank=True)
    # The agreement (the employer's, when the pool was made): seats nobody redeemed by the time
    # the offering stops taking enrollments expire or are credited; `ended_at` once that was done,
    # `credited_minor` their value when credited, by the credit note `credit_note_id`.
    unredeemed = models.CharField(max_length=10, choices=Unredeemed.choices, default=Unredeemed.EXPIRE)
    ended_at = models.DateTimeField(null=True, blank=True)
    credited_minor = models.PositiveBigIntegerField(default=0)
    credit_note_id = models.CharField(max_length=255, blank=True)
    # The e-mail telling the employer how the pool ended: claimed by its sender, sent once.
    end_told_claimed_at = models.DateTimeField(null=True, blank=True)
    end_told_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    paid_at = models.DateTimeField(null=True, blank=True)
    settled_at = models.DateTimeField(null=True, blank=True)  # Stripe's fee on a card payment posted
    # The console form's one-time key: the same form sent twice (a double click) makes one pool.
    request_key = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(seats__gte=1), name="sponsors_pool_seats_positive"),
            models.CheckConstraint(
                condition=Q(currency__regex=CURRENCY_RE), name="sponsors_pool_currency_iso"
            ),
            models.UniqueConstraint(
                fields=["tenant", "request_key"],
                condition=~Q(request_key=""),
                name="sponsors_pool_request_key_unique",
            ),
        ]
        indexes = [models.Index(fields=["tenant", "stripe_invoice_id"], name="sponsors_pool_by_invoice")]

    def __str__(self) -> str:
        return f"pool {self.pk}: {self.seats} seats"

    @property
    def total_minor(self) -> int:
        return self.seats * self.unit_price_minor


class PoolSeat(models.Model):
    """One seat of a pool: a one-time code, redeemed once (by the code, or by the contact's CSV of
    e-mails) into a confirmed enrollment with no card."""

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    pool = models.ForeignKey(SeatPool, on_delete=models.PROTECT, related_name="pool_seats")
    code = models.CharField(max_length=32, unique=True)
    email = models.EmailField(blank=True)
    enrollment = models.OneToOneField(
        Enrollment, on_delete=models.PROTECT, null=True, blank=True, related_name="sponsored_seat"
    )
    redeemed_at = models.DateTimeField(null=True, blank=True)
    # The learner's consent, asked at redemption and changeable on My learning: the employer's
    # contacts see this learner's status and completion only while it is given.
    shares_progress = models.BooleanField(default=False)
    sharing_changed_at = models.DateTimeField(null=True, blank=True)
    expired_at = models.DateTimeField(null=True, blank=True)  # not redeemed in time (the agreement)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(redeemed_at__isnull=True, enrollment__isnull=True)
                | Q(redeemed_at__isnull=False, enrollment__isnull=False),
                name="sponsors_seat_redeemed_iff_enrollment",
            ),
        ]

    def __str__(self) -> str:
        return self.code

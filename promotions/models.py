"""Promotion codes.

A code takes a percentage or a fixed amount (in the tenant's currency) off the seats it applies
to: every seat of its tenant, of one unit, of one microcredential or of chosen offerings. The
unit owning a discounted seat bears the discount (the ledger's unit_discounts account). A code
has valid dates and caps: uses in all, uses per learner. A use is an order that holds the code
while it is open, processing or paid (payments counts them under the code's row lock). A
single-use batch is many codes of one use each, made together and downloaded as CSV.

`waives_fee` marks a code whose 100 % is a fee waiver (a scholarship): the seat is confirmed with
no checkout, and the order keeps the code's reason.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from catalog.models import Microcredential, Offering
from tenants.models import Tenant, Unit


class DiscountKind(models.TextChoices):
    PERCENT = "percent", _("Percentage off")
    AMOUNT = "amount", _("Fixed amount off")


class CodeBatch(models.Model):
    """Single-use codes made together (each of one use), downloadable as CSV."""

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    name = models.CharField(max_length=120)
    size = models.PositiveIntegerField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.size})"


class PromotionCode(models.Model):
    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    # None: tenant-wide (tenant admins only). Otherwise the unit that runs it and bears it.
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    microcredential = models.ForeignKey(
        Microcredential, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    offerings = models.ManyToManyField(Offering, blank=True, related_name="+")
    batch = models.ForeignKey(
        CodeBatch, on_delete=models.PROTECT, null=True, blank=True, related_name="codes"
    )
    code = models.CharField(max_length=40)
    description = models.CharField(max_length=200, blank=True)
    kind = models.CharField(max_length=10, choices=DiscountKind.choices)
    percent_off = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    amount_off_minor = models.PositiveBigIntegerField(null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    valid_from = models.DateTimeField(null=True, blank=True)
    valid_until = models.DateTimeField(null=True, blank=True)
    max_uses = models.PositiveIntegerField(null=True, blank=True)  # None: no cap
    max_uses_per_learner = models.PositiveIntegerField(default=1)
    waives_fee = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint("tenant", Upper("code"), name="promotion_code_unique_per_tenant"),
            models.CheckConstraint(
                condition=(
                    Q(
                        kind=DiscountKind.PERCENT,
                        percent_off__gte=1,
                        percent_off__lte=100,
                        amount_off_minor=None,
                    )
                    | Q(
                        kind=DiscountKind.AMOUNT,
                        amount_off_minor__gte=1,
                        percent_off=None,
                        currency__regex=r"^[A-Z]{3}$",
                    )
                ),
                name="promotion_code_one_discount",
            ),
            models.CheckConstraint(
                condition=Q(waives_fee=False) | Q(kind=DiscountKind.PERCENT, percent_off=100),
                name="promotion_code_waiver_is_full",
            ),
            models.CheckConstraint(
                condition=Q(valid_from=None)
                | Q(valid_until=None)
                | Q(valid_until__gt=models.F("valid_from")),
                name="promotion_code_dates_in_order",
            ),
        ]
        indexes = [models.Index(fields=["tenant", "unit", "created_at"], name="promotion_code_unit")]

    def __str__(self) -> str:
        return self.code

"""What finance imports from Stripe (balance transactions, payouts), what reconciling them with the
ledger found (problems), and the GL journal exports.

Stripe's rows are copies: the import writes them in bulk (INSERT … ON CONFLICT), keyed by the
tenant and Stripe's id, so importing again changes nothing. Money is integer minor units plus an
upper-case ISO currency code, as everywhere.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tenants.models import Tenant, Unit


class ImportState(models.Model):
    """Where the last import of a tenant's Stripe data stopped: the next one catches up from here."""

    tenant = models.OneToOneField(Tenant, on_delete=models.CASCADE, related_name="+")
    balance_created_cursor = models.BigIntegerField(default=0, help_text=_("Unix time of the newest seen."))
    payout_created_cursor = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Import state of tenant {self.tenant_id}"


class ImportRunStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class ImportRun(models.Model):
    """One import (hourly job, a payout event, or someone pressing the button): its progress,
    shown on the payouts page while it runs."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    trigger = models.CharField(max_length=60)
    is_full = models.BooleanField(
        default=False, help_text=_("Walked every balance transaction since the cursor.")
    )
    status = models.CharField(max_length=10, choices=ImportRunStatus.choices, default=ImportRunStatus.RUNNING)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    payouts_seen = models.PositiveIntegerField(default=0)
    transactions_seen = models.PositiveIntegerField(default=0)
    transactions_new = models.PositiveIntegerField(default=0)
    step = models.CharField(max_length=200, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["tenant", "-started_at"])]

    def __str__(self) -> str:
        return f"Import {self.pk} ({self.status})"


class PayoutTie(models.TextChoices):
    PENDING = "pending", _("Not reconciled yet")
    TIED = "tied", _("Ties out")
    NOT_TIED = "not_tied", _("Does not tie out")


class Payout(models.Model):
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    stripe_id = models.CharField(max_length=255)
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=20)
    automatic = models.BooleanField(default=True)
    created = models.DateTimeField()
    arrival_date = models.DateTimeField()
    stripe_reconciliation_status = models.CharField(max_length=20, blank=True)
    failure_code = models.CharField(max_length=60, blank=True)
    items_imported_at = models.DateTimeField(null=True, blank=True)
    # Reconciliation (finance.services.reconcile sets these in bulk).
    tie = models.CharField(max_length=10, choices=PayoutTie.choices, default=PayoutTie.PENDING)
    items_count = models.PositiveIntegerField(default=0)
    items_net = models.BigIntegerField(default=0, help_text=_("Σ net of its items at Stripe."))
    ledger_net = models.BigIntegerField(default=0, help_text=_("Σ over units of the matched ledger entries."))
    problem_count = models.PositiveIntegerField(default=0)
    reconciled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "stripe_id"], name="finance_payout_unique"),
            models.CheckConstraint(
                condition=Q(currency__regex=r"^[A-Z]{3}$"), name="finance_payout_currency"
            ),
        ]
        indexes = [models.Index(fields=["tenant", "-created"])]

    def __str__(self) -> str:
        return self.stripe_id


class MatchState(models.TextChoices):
    UNCHECKED = "unchecked", _("Not reconciled yet")
    MATCHED = "matched", _("Matched")
    MISSING_IN_LEDGER = "missing_in_ledger", _("Missing in the ledger")
    AMOUNT_MISMATCH = "amount_mismatch", _("Gross amount differs")
    FEE_MISMATCH = "fee_mismatch", _("Fee differs")
    NOT_TRACKED = "not_tracked", _("Not a kind the ledger records")


class BalanceTransaction(models.Model):
    """A copy of one of Stripe's balance transactions."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    stripe_id = models.CharField(max_length=255)
    type = models.CharField(max_length=40)
    reporting_category = models.CharField(max_length=60, blank=True)
    source_id = models.CharField(max_length=255, blank=True)
    amount = models.BigIntegerField()
    fee = models.BigIntegerField()
    net = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=20, blank=True)
    created = models.DateTimeField()
    available_on = models.DateTimeField()
    payout_stripe_id = models.CharField(max_length=255, blank=True, help_text=_("The payout that swept it."))
    ledger_source = models.CharField(
        max_length=255,
        blank=True,
        db_default="",
        help_text=_(
            "When the ledger records it under another source: an application fee of a destination "
            "charge is part of that charge's transfer (tr_…), which the ledger records net of it."
        ),
    )
    # Reconciliation (set in bulk).
    match = models.CharField(max_length=20, choices=MatchState.choices, default=MatchState.UNCHECKED)
    ledger_amount = models.BigIntegerField(null=True, blank=True)
    ledger_fee = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-created", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "stripe_id"], name="finance_balance_txn_unique"),
            models.CheckConstraint(
                condition=Q(net=models.F("amount") - models.F("fee")), name="finance_bt_net"
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "payout_stripe_id"]),
            models.Index(fields=["tenant", "source_id"]),
            models.Index(fields=["tenant", "-created"]),
        ]

    def __str__(self) -> str:
        return self.stripe_id


class ProblemKind(models.TextChoices):
    MISSING_IN_LEDGER = "missing_in_ledger", _("Missing in the ledger")
    MISSING_AT_STRIPE = "missing_at_stripe", _("Missing at Stripe")
    AMOUNT_MISMATCH = "amount_mismatch", _("Gross amount differs")
    FEE_MISMATCH = "fee_mismatch", _("Fee differs")
    NOT_TRACKED = "not_tracked", _("Not a kind the ledger records")
    PAYOUT_NOT_TIED = "payout_not_tied", _("Payout does not tie out")


class Problem(models.Model):
    """One discrepancy found by the last reconciliation of the tenant (replaced on each run)."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=ProblemKind.choices)
    currency = models.CharField(max_length=3)
    source_ref = models.CharField(max_length=255, blank=True, help_text=_("Stripe's object id: ch_, re_, …"))
    balance_transaction_stripe_id = models.CharField(max_length=255, blank=True)
    payout_stripe_id = models.CharField(max_length=255, blank=True)
    ledger_kind = models.CharField(max_length=30, blank=True)
    stripe_amount = models.BigIntegerField(null=True, blank=True)
    stripe_fee = models.BigIntegerField(null=True, blank=True)
    ledger_amount = models.BigIntegerField(null=True, blank=True)
    ledger_fee = models.BigIntegerField(null=True, blank=True)
    unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    occurred_at = models.DateTimeField(null=True, blank=True)
    found_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["kind", "occurred_at", "id"]
        indexes = [
            models.Index(fields=["tenant", "kind"]),
            models.Index(fields=["tenant", "payout_stripe_id"]),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.source_ref}"


class JournalExport(models.Model):
    """One GL journal export of a tenant's ledger entries: what it took is in ExportedEntry, so the
    next export continues with what came after (late entries and corrections included)."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    currency = models.CharField(max_length=3)
    period_end = models.DateTimeField(help_text=_("Entries that occurred before this, not yet exported."))
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    line_count = models.PositiveIntegerField(default=0)
    debit_total = models.BigIntegerField(default=0)
    credit_total = models.BigIntegerField(default=0)
    first_occurred_at = models.DateTimeField(null=True, blank=True)
    last_occurred_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(debit_total=models.F("credit_total")), name="journal_balanced"
            ),
        ]

    def __str__(self) -> str:
        return f"Journal {self.pk} ({self.currency})"


class ExportedEntry(models.Model):
    """A ledger entry taken by a journal export: at most once, ever."""

    entry_id = models.BigIntegerField(primary_key=True)
    export = models.ForeignKey(JournalExport, on_delete=models.PROTECT, related_name="entries")
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")

    def __str__(self) -> str:
        return f"entry {self.entry_id} in export {self.export_id}"

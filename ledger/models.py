"""The double-entry, append-only ledger of a tenant, in integer minor units.

Amounts are signed: a debit is positive, a credit negative, so the entries of every
transaction sum to zero. The database refuses to update or delete a transaction or an entry
and, at commit, refuses any transaction whose entries do not sum to zero or are fewer than two
(migration 0001). Corrections are new transactions that reverse old ones.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tenants.models import Tenant, Unit

CURRENCY_RE = r"^[A-Z]{3}$"


class AccountKind(models.TextChoices):
    PROCESSOR_CLEARING = "processor_clearing", _("Processor clearing")
    UNIT_REVENUE = "unit_revenue", _("Unit revenue")
    UNIT_FEES = "unit_fees", _("Unit processing fees")
    UNIT_REFUNDS = "unit_refunds", _("Unit refunds")
    UNIT_SETTLED = "unit_settled", _("Unit settled")
    # Contra-revenue: what a unit's promotion codes and fee waivers took off its list prices.
    UNIT_DISCOUNTS = "unit_discounts", _("Unit discounts and waivers")
    BANK = "bank", _("Bank")
    # What employers owe a unit for invoiced seat pools (sponsors), until the invoice is paid.
    UNIT_RECEIVABLE = "unit_receivable", _("Unit receivables")


# Accounts of these kinds belong to one unit; the others are tenant-wide.
PER_UNIT_KINDS = frozenset(
    {
        AccountKind.UNIT_REVENUE,
        AccountKind.UNIT_FEES,
        AccountKind.UNIT_REFUNDS,
        AccountKind.UNIT_SETTLED,
        AccountKind.UNIT_DISCOUNTS,
        AccountKind.UNIT_RECEIVABLE,
    }
)


class TransactionKind(models.TextChoices):
    CHARGE = "charge", _("Charge")
    REFUND = "refund", _("Refund")
    REFUND_REVERSAL = "refund_reversal", _("Refund reversal")
    TRANSFER = "transfer", _("Transfer")
    TRANSFER_REVERSAL = "transfer_reversal", _("Transfer reversal")
    PAYOUT = "payout", _("Payout")
    PAYOUT_REVERSAL = "payout_reversal", _("Payout reversal")
    CORRECTION = "correction", _("Correction")
    DISCOUNT = "discount", _("Discount")
    WAIVER = "waiver", _("Fee waiver")
    INVOICE = "invoice", _("Invoice")
    INVOICE_PAYMENT = "invoice_payment", _("Invoice payment")
    CREDIT_NOTE = "credit_note", _("Credit note")


class Account(models.Model):
    """One account of the tenant's chart: a kind, a unit for the per-unit kinds, a currency."""

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=32, choices=AccountKind.choices)
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    currency = models.CharField(max_length=3)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "kind", "unit", "currency"],
                nulls_distinct=False,
                name="ledger_account_unique",
            ),
            models.CheckConstraint(
                condition=Q(currency__regex=CURRENCY_RE), name="ledger_account_currency_iso"
            ),
            models.CheckConstraint(
                condition=(
                    Q(kind__in=sorted(PER_UNIT_KINDS), unit__isnull=False)
                    | (~Q(kind__in=sorted(PER_UNIT_KINDS)) & Q(unit__isnull=True))
                ),
                name="ledger_account_unit_iff_per_unit_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.unit_id or '-'}:{self.currency}"


class LedgerTransaction(models.Model):
    """A business event (a charge, a refund, a transfer, a payout…) as balanced entries."""

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    currency = models.CharField(max_length=3)
    kind = models.CharField(max_length=32, choices=TransactionKind.choices)
    source_ref = models.CharField(
        max_length=255, help_text=_("The Stripe object recorded: ch_…, py_…, re_…, tr_…, trr_…, po_….")
    )
    order_ref = models.CharField(max_length=255, blank=True)
    memo = models.CharField(max_length=500, blank=True)
    occurred_at = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)
    reverses = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversals"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "kind", "source_ref"], name="ledger_transaction_source"
            ),
            models.CheckConstraint(
                condition=Q(currency__regex=CURRENCY_RE), name="ledger_transaction_currency_iso"
            ),
            models.CheckConstraint(condition=~Q(source_ref=""), name="ledger_transaction_source_given"),
        ]
        indexes = [
            models.Index(fields=["tenant", "source_ref"], name="ledger_transaction_by_source"),
            models.Index(fields=["tenant", "order_ref"], name="ledger_transaction_by_order"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.source_ref} ({self.currency})"


class LedgerEntry(models.Model):
    """One signed amount on one account: debit positive, credit negative."""

    transaction = models.ForeignKey(LedgerTransaction, on_delete=models.PROTECT, related_name="entries")
    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="entries")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    currency = models.CharField(max_length=3)
    amount = models.BigIntegerField(help_text=_("Minor units; debit positive, credit negative."))
    line_ref = models.CharField(max_length=100, blank=True)
    occurred_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="ledger_entry_amount_not_zero"),
        ]
        indexes = [
            models.Index(fields=["tenant", "unit", "occurred_at"], name="ledger_entry_unit_time"),
            models.Index(fields=["account", "occurred_at"], name="ledger_entry_account_time"),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.amount:+d} {self.currency}"

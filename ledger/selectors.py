"""Reads of the ledger, always for one tenant."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, Sum

from ledger.models import AccountKind, LedgerEntry, LedgerTransaction, TransactionKind
from tenants.models import Tenant

__all__ = ["UnitFigures", "account_balance", "transactions_by_source", "unit_figures"]


@dataclass(frozen=True)
class UnitFigures:
    """One unit's money in one currency over a period, each figure positive in the usual case."""

    unit_id: int
    currency: str
    gross: int  # −Σ unit_revenue: the list price of what was sold
    refunds: int  # Σ unit_refunds
    fees: int  # Σ unit_fees: its share of the processor's fees
    net: int  # gross − discounts − refunds − fees
    settled: int  # Σ unit_settled: moved to its own connected account
    discounts: int = 0  # Σ unit_discounts: taken off by promotion codes and fee waivers
    waived: int = 0  # the part of discounts that fee waivers took (seats given free)

    @property
    def paid(self) -> int:
        """What learners paid: the list price less the discounts."""
        return self.gross - self.discounts


def unit_figures(
    *,
    tenant: Tenant,
    start: datetime | None = None,
    end: datetime | None = None,
    unit_ids: Iterable[int] | None = None,
    currency: str | None = None,
) -> list[UnitFigures]:
    """Each unit's figures per currency for entries with start ≤ occurred_at < end (either bound
    optional), ordered by unit id then currency. A unit with no entries in the period is absent."""
    entries = LedgerEntry.objects.filter(tenant=tenant, unit__isnull=False)
    if start is not None:
        entries = entries.filter(occurred_at__gte=start)
    if end is not None:
        entries = entries.filter(occurred_at__lt=end)
    if unit_ids is not None:
        entries = entries.filter(unit_id__in=list(unit_ids))
    if currency is not None:
        entries = entries.filter(currency=currency)

    def total(kind: AccountKind) -> Sum:
        return Sum("amount", filter=Q(account__kind=kind), default=0)

    rows = (
        entries.values("unit_id", "currency")
        .annotate(
            revenue=total(AccountKind.UNIT_REVENUE),
            refunds=total(AccountKind.UNIT_REFUNDS),
            fees=total(AccountKind.UNIT_FEES),
            settled=total(AccountKind.UNIT_SETTLED),
            discounts=total(AccountKind.UNIT_DISCOUNTS),
            waived=Sum(
                "amount",
                filter=Q(account__kind=AccountKind.UNIT_DISCOUNTS, transaction__kind=TransactionKind.WAIVER),
                default=0,
            ),
        )
        .order_by("unit_id", "currency")
    )
    figures = []
    for row in rows:
        gross = -int(row["revenue"])
        refunds, fees, discounts = int(row["refunds"]), int(row["fees"]), int(row["discounts"])
        figures.append(
            UnitFigures(
                unit_id=row["unit_id"],
                currency=row["currency"],
                gross=gross,
                refunds=refunds,
                fees=fees,
                net=gross - discounts - refunds - fees,
                settled=int(row["settled"]),
                discounts=discounts,
                waived=int(row["waived"]),
            )
        )
    return figures


def transactions_by_source(
    *, tenant: Tenant, source_refs: Iterable[str]
) -> dict[str, list[LedgerTransaction]]:
    """The tenant's transactions recording each source (every kind; corrections under their own
    source_ref), entries and accounts prefetched, in posting order. Sources never posted are absent."""
    refs = list(dict.fromkeys(source_refs))
    found: dict[str, list[LedgerTransaction]] = {}
    if not refs:
        return found
    for txn in (
        LedgerTransaction.objects.filter(tenant=tenant, source_ref__in=refs)
        .prefetch_related("entries__account")
        .order_by("pk")
    ):
        found.setdefault(txn.source_ref, []).append(txn)
    return found


def account_balance(*, tenant: Tenant, kind: AccountKind, unit_id: int | None = None, currency: str) -> int:
    """Σ of the account's entries, debit positive: a credit-normal account (unit_revenue) holding
    money shows a negative balance."""
    entries = LedgerEntry.objects.filter(tenant=tenant, account__kind=kind, currency=currency)
    entries = entries.filter(unit_id=unit_id) if unit_id is not None else entries.filter(unit__isnull=True)
    return int(entries.aggregate(total=Sum("amount", default=0))["total"])

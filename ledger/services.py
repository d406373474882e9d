"""Every write to the ledger: post a balanced transaction, reverse one, and the builders that turn a
business event (a charge, a refund, a transfer, a payout) into balanced lines.

Amounts are integer minor units, debit positive and credit negative; the lines of a transaction
sum to zero. Posting is idempotent per (tenant, transaction kind, source_ref).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError
from django.db import transaction as db_transaction
from django.db.models import Q
from django.utils import timezone

from core.money import K, pro_rata_split
from ledger.errors import LedgerConflict, LedgerUnbalanced
from ledger.models import (
    CURRENCY_RE,
    PER_UNIT_KINDS,
    Account,
    AccountKind,
    LedgerEntry,
    LedgerTransaction,
    TransactionKind,
)
from tenants.models import Tenant, Unit

__all__ = [
    "ChargeLine",
    "Line",
    "charge_lines",
    "discount_lines",
    "fee_split",
    "invoice_bank_lines",
    "invoice_charge_lines",
    "invoice_lines",
    "ledger_post",
    "ledger_reverse",
    "payout_lines",
    "payout_reversal_lines",
    "refund_lines",
    "refund_reversal_lines",
    "transfer_lines",
    "transfer_reversal_lines",
]


@dataclass(frozen=True)
class Line:
    """One line of a transaction to post: an account (kind, and unit for the per-unit kinds) and a
    signed amount, + debit, − credit, minor units, never 0."""

    kind: AccountKind
    amount: int
    unit_id: int | None = None
    line_ref: str = ""


@dataclass(frozen=True)
class ChargeLine:
    """One order line of a charge: the unit that sold it, what the learner paid for it."""

    unit_id: int
    amount: int
    line_ref: str = ""


_LineKey = tuple[str, int | None, int, str]


def _line_key(line: Line) -> _LineKey:
    return (str(line.kind), line.unit_id, line.amount, line.line_ref)


# ---------------------------------------------------------------------------------------------
# Posting
# ---------------------------------------------------------------------------------------------


def ledger_post(
    *,
    tenant: Tenant,
    kind: TransactionKind | str,
    source_ref: str,
    currency: str,
    lines: Sequence[Line],
    occurred_at: datetime,
    order_ref: str = "",
    memo: str = "",
    reverses: LedgerTransaction | None = None,
) -> LedgerTransaction:
    """Post one balanced transaction and return it.

    Refuses with LedgerUnbalanced (a ValueError; nothing written) unless the lines sum to zero,
    are at least two, have no zero amount, and name a unit of this tenant exactly when their
    account kind is per unit. Idempotent: posting (tenant, kind, source_ref) again returns the
    first transaction when currency and lines are the same (in any order), and raises
    LedgerConflict otherwise. Concurrent posts of one source end with one transaction: the
    loser waits on the unique index, then finds and compares the winner's.
    """
    lines = list(lines)
    kind = _checked_transaction_kind(kind)
    _check(tenant=tenant, source_ref=source_ref, currency=currency, lines=lines, occurred_at=occurred_at)
    if reverses is not None and (reverses.tenant_id != tenant.pk or reverses.currency != currency):
        raise LedgerUnbalanced(
            "A correction must be in the tenant and currency of the transaction it reverses.",
            code="ledger_reverses_mismatch",
        )
    existing = _existing(tenant=tenant, kind=kind, source_ref=source_ref)
    if existing is not None:
        return _same_or_conflict(existing, currency=currency, lines=lines)
    with db_transaction.atomic():
        accounts = _accounts(tenant=tenant, currency=currency, lines=lines)
        try:
            with db_transaction.atomic():
                txn = LedgerTransaction.objects.create(
                    tenant=tenant,
                    currency=currency,
                    kind=kind,
                    source_ref=source_ref,
                    order_ref=order_ref,
                    memo=memo[:500],
                    occurred_at=occurred_at,
                    reverses=reverses,
                )
        except IntegrityError:
            # Another connection posted this source first (we waited for it on the unique index).
            existing = _existing(tenant=tenant, kind=kind, source_ref=source_ref)
            if existing is None:
                raise
            return _same_or_conflict(existing, currency=currency, lines=lines)
        LedgerEntry.objects.bulk_create(
            [
                LedgerEntry(
                    transaction=txn,
                    tenant=tenant,
                    account=accounts[(str(line.kind), line.unit_id)],
                    unit_id=line.unit_id,
                    currency=currency,
                    amount=line.amount,
                    line_ref=line.line_ref,
                    occurred_at=occurred_at,
                )
                for line in lines
            ]
        )
    return txn


def ledger_reverse(
    *, transaction: LedgerTransaction, source_ref: str, memo: str, occurred_at: datetime
) -> LedgerTransaction:
    """Post a correction negating every line of `transaction`, which stays as it was.

    Idempotent per source_ref; a transaction already reversed in full under another source_ref
    is refused with LedgerConflict, so it can never be reversed twice.
    """
    with db_transaction.atomic():
        # A row lock (no update) serialises reversals of one transaction.
        original = (
            LedgerTransaction.objects.select_for_update(of=("self",))
            .select_related("tenant")
            .get(pk=transaction.pk, tenant_id=transaction.tenant_id)
        )
        lines = [
            Line(kind=AccountKind(kind), amount=-amount, unit_id=unit_id, line_ref=line_ref)
            for kind, unit_id, amount, line_ref in _posted_keys(original)
        ]
        wanted = sorted(_line_key(line) for line in lines)
        for other in original.reversals.exclude(source_ref=source_ref):
            if other.currency == original.currency and sorted(_posted_keys(other)) == wanted:
                raise LedgerConflict(
                    f"Transaction {original.source_ref} was already reversed by {other.source_ref}.",
                    code="ledger_already_reversed",
                )
        return ledger_post(
            tenant=original.tenant,
            kind=TransactionKind.CORRECTION,
            source_ref=source_ref,
            currency=original.currency,
            lines=lines,
            occurred_at=occurred_at,
            order_ref=original.order_ref,
            memo=memo,
            reverses=original,
        )


def _checked_transaction_kind(kind: TransactionKind | str) -> TransactionKind:
    try:
        return TransactionKind(kind)
    except ValueError:
        raise LedgerUnbalanced(f"{kind!r} is not a ledger transaction kind.", code="ledger_kind") from None


def _check(
    *, tenant: Tenant, source_ref: str, currency: str, lines: list[Line], occurred_at: datetime
) -> None:
    if not source_ref:
        raise LedgerUnbalanced("A ledger transaction needs the source it records.", code="ledger_source")
    if not re.fullmatch(CURRENCY_RE, currency or ""):
        raise LedgerUnbalanced(f"{currency!r} is not an ISO 4217 currency code.", code="ledger_currency")
    if timezone.is_naive(occurred_at):
        raise LedgerUnbalanced("occurred_at must be timezone-aware.", code="ledger_time")
    if len(lines) < 2:
        raise LedgerUnbalanced(
            f"A ledger transaction needs at least two lines; {len(lines)} given.", code="ledger_too_few_lines"
        )
    unit_ids: set[int] = set()
    for index, line in enumerate(lines):
        if not isinstance(line, Line):
            raise LedgerUnbalanced(f"Line {index + 1} is not a ledger Line.", code="ledger_line")
        if type(line.amount) is not int:
            raise LedgerUnbalanced(
                f"Line {index + 1}: the amount must be whole minor units (an int), not {line.amount!r}.",
                code="ledger_amount",
            )
        if line.amount == 0:
            raise LedgerUnbalanced(f"Line {index + 1} has a zero amount.", code="ledger_amount")
        try:
            account_kind = AccountKind(line.kind)
        except ValueError:
            raise LedgerUnbalanced(
                f"Line {index + 1}: {line.kind!r} is not an account kind.", code="ledger_account_kind"
            ) from None
        if account_kind in PER_UNIT_KINDS and line.unit_id is None:
            raise LedgerUnbalanced(
                f"Line {index + 1}: a {account_kind.value} line needs its unit.", code="ledger_unit"
            )
        if account_kind not in PER_UNIT_KINDS and line.unit_id is not None:
            raise LedgerUnbalanced(
                f"Line {index + 1}: a {account_kind.value} line is tenant-wide and takes no unit.",
                code="ledger_unit",
            )
        if line.unit_id is not None:
            unit_ids.add(line.unit_id)
    total = sum(line.amount for line in lines)
    if total != 0:
        raise LedgerUnbalanced(
            f"The lines sum to {total:+d}, not 0: debits and credits must balance.", code="ledger_unbalanced"
        )
    if unit_ids:
        found = set(Unit.objects.filter(tenant=tenant, pk__in=unit_ids).values_list("pk", flat=True))
        if missing := sorted(unit_ids - found):
            raise LedgerUnbalanced(f"No unit {missing} in this tenant.", code="ledger_unit")


def _existing(*, tenant: Tenant, kind: str, source_ref: str) -> LedgerTransaction | None:
    return LedgerTransaction.objects.filter(tenant=tenant, kind=kind, source_ref=source_ref).first()


def _posted_keys(txn: LedgerTransaction) -> list[_LineKey]:
    return [
        (kind, unit_id, amount, line_ref)
        for kind, unit_id, amount, line_ref in txn.entries.order_by("pk").values_list(
            "account__kind", "unit_id", "amount", "line_ref"
        )
    ]


def _same_or_conflict(existing: LedgerTransaction, *, currency: str, lines: list[Line]) -> LedgerTransaction:
    same = existing.currency == currency and sorted(_posted_keys(existing)) == sorted(
        _line_key(line) for line in lines
    )
    if not same:
        raise LedgerConflict(
            f"{existing.get_kind_display()} {existing.source_ref} was already posted with other lines.",
            code="ledger_conflict",
        )
    return existing


def _accounts(*, tenant: Tenant, currency: str, lines: list[Line]) -> dict[tuple[str, int | None], Account]:
    """The accounts the lines name, created when missing (concurrently safe: ON CONFLICT DO NOTHING
    on the unique (tenant, kind, unit, currency), then read back)."""
    wanted = {(str(line.kind), line.unit_id) for line in lines}

    def read() -> dict[tuple[str, int | None], Account]:
        match = Q()
        for kind, unit_id in wanted:
            match |= Q(kind=kind, unit_id=unit_id) if unit_id is not None else Q(kind=kind, unit__isnull=True)
        return {
            (a.kind, a.unit_id): a for a in Account.objects.filter(match, tenant=tenant, currency=currency)
        }

    found = read()
    if missing := wanted - found.keys():
        Account.objects.bulk_create(
            [
                Account(tenant=tenant, kind=kind, unit_id=unit_id, currency=currency)
                for kind, unit_id in missing
            ],
            ignore_conflicts=True,
        )
        found = read()
    return found


# ---------------------------------------------------------------------------------------------
# Fee split and builders
# ---------------------------------------------------------------------------------------------


def fee_split(fee: int, shares: Mapping[K, int]) -> dict[K, int]:
    """Split a fee pro rata to the units' shares (core.money.pro_rata_split)."""
    return pro_rata_split(fee, shares)


def _positive(amount: int, what: str) -> int:
    if type(amount) is not int or amount <= 0:
        raise LedgerUnbalanced(f"A {what} amount must be a positive number of minor units, not {amount!r}.")
    return amount


def charge_lines(*, lines: Sequence[ChargeLine], fee: int) -> list[Line]:
    """A charge: Dr processor_clearing the gross; Cr unit_revenue per order line; Dr unit_fees per
    unit (the fee split by each unit's gross); Cr processor_clearing the fee. Lines of 0 (free
    lines of a paid order) post nothing."""
    if type(fee) is not int or fee < 0:
        raise LedgerUnbalanced(f"A processing fee must be zero or more minor units, not {fee!r}.")
    for line in lines:
        if type(line.amount) is not int or line.amount < 0:
            raise LedgerUnbalanced(
                f"An order line amount must be zero or more minor units, not {line.amount!r}."
            )
    paid = [line for line in lines if line.amount]
    gross = sum(line.amount for line in paid)
    if gross == 0:
        raise LedgerUnbalanced("A charge needs at least one paid order line.")
    out = [Line(kind=AccountKind.PROCESSOR_CLEARING, amount=gross)]
    out += [
        Line(kind=AccountKind.UNIT_REVENUE, amount=-line.amount, unit_id=line.unit_id, line_ref=line.line_ref)
        for line in paid
    ]
    if fee:
        unit_gross: dict[int, int] = {}
        for line in paid:
            unit_gross[line.unit_id] = unit_gross.get(line.unit_id, 0) + line.amount
        out += [
            Line(kind=AccountKind.UNIT_FEES, amount=part, unit_id=unit_id)
            for unit_id, part in fee_split(fee, unit_gross).items()
            if part
        ]
        out.append(Line(kind=AccountKind.PROCESSOR_CLEARING, amount=-fee))
    return out


def discount_lines(*, discounts: Mapping[int, int]) -> list[Line]:
    """What promotion codes or a fee waiver took off each unit's list prices: Dr unit_discounts,
    Cr unit_revenue, per unit. Unit revenue then holds the list price of what was sold, and the
    discounts account what the unit gave of it; the charge itself (what learners paid) is
    unchanged, so payouts tie out as before."""
    out: list[Line] = []
    for unit_id, amount in sorted(discounts.items()):
        if amount:
            _positive(amount, "discount")
            out += [
                Line(kind=AccountKind.UNIT_DISCOUNTS, amount=amount, unit_id=unit_id),
                Line(kind=AccountKind.UNIT_REVENUE, amount=-amount, unit_id=unit_id),
            ]
    if not out:
        raise LedgerUnbalanced("A discount needs at least one unit's discount.")
    return out


def refund_lines(*, unit_id: int, amount: int, line_ref: str = "") -> list[Line]:
    """A refund: Dr unit_refunds, Cr processor_clearing."""
    amount = _positive(amount, "refund")
    return [
        Line(kind=AccountKind.UNIT_REFUNDS, amount=amount, unit_id=unit_id, line_ref=line_ref),
        Line(kind=AccountKind.PROCESSOR_CLEARING, amount=-amount),
    ]


def refund_reversal_lines(*, unit_id: int, amount: int, line_ref: str = "") -> list[Line]:
    """A refund that failed after succeeding: Dr processor_clearing, Cr unit_refunds."""
    amount = _positive(amount, "refund reversal")
    return [
        Line(kind=AccountKind.PROCESSOR_CLEARING, amount=amount),
        Line(kind=AccountKind.UNIT_REFUNDS, amount=-amount, unit_id=unit_id, line_ref=line_ref),
    ]


def transfer_lines(*, unit_id: int, amount: int) -> list[Line]:
    """Money moved to the unit's connected account: Dr unit_settled, Cr processor_clearing."""
    amount = _positive(amount, "transfer")
    return [
        Line(kind=AccountKind.UNIT_SETTLED, amount=amount, unit_id=unit_id),
        Line(kind=AccountKind.PROCESSOR_CLEARING, amount=-amount),
    ]


def transfer_reversal_lines(*, unit_id: int, amount: int) -> list[Line]:
    """A transfer taken back: Dr processor_clearing, Cr unit_settled."""
    amount = _positive(amount, "transfer reversal")
    return [
        Line(kind=AccountKind.PROCESSOR_CLEARING, amount=amount),
        Line(kind=AccountKind.UNIT_SETTLED, amount=-amount, unit_id=unit_id),
    ]


def payout_lines(*, amount: int) -> list[Line]:
    """A payout to the tenant's bank: Dr bank, Cr processor_clearing."""
    amount = _positive(amount, "payout")
    return [
        Line(kind=AccountKind.BANK, amount=amount),
        Line(kind=AccountKind.PROCESSOR_CLEARING, amount=-amount),
    ]


def payout_reversal_lines(*, amount: int) -> list[Line]:
    """A failed payout, back on the balance: Dr processor_clearing, Cr bank."""
    amount = _positive(amount, "payout reversal")
    return [
        Line(kind=AccountKind.PROCESSOR_CLEARING, amount=amount),
        Line(kind=AccountKind.BANK, amount=-amount),
    ]


def invoice_lines(*, unit_id: int, amount: int) -> list[Line]:
    """An invoice sent for a unit's seats: the employer owes it (receivable debited), the unit's
    revenue credited."""
    amount = _positive(amount, "invoice")
    return [
        Line(AccountKind.UNIT_RECEIVABLE, amount, unit_id),
        Line(AccountKind.UNIT_REVENUE, -amount, unit_id),
    ]


def invoice_bank_lines(*, unit_id: int, amount: int) -> list[Line]:
    """An invoice paid to the bank directly (`paid_out_of_band`, no Stripe charge): Dr bank, Cr the
    unit's receivable."""
    amount = _positive(amount, "invoice payment")
    return [Line(AccountKind.BANK, amount), Line(AccountKind.UNIT_RECEIVABLE, -amount, unit_id)]


def credit_note_lines(*, unit_id: int, amount: int) -> list[Line]:
    """Part of an unpaid invoice credited (a pre-payment credit note): the employer owes less,
    Dr the unit's refunds, Cr its receivable."""
    amount = _positive(amount, "credit note")
    return [
        Line(AccountKind.UNIT_REFUNDS, amount, unit_id),
        Line(AccountKind.UNIT_RECEIVABLE, -amount, unit_id),
    ]


def credit_note_bank_lines(*, unit_id: int, amount: int) -> list[Line]:
    """Part of an invoice paid to the bank credited back, to be paid back by bank transfer: Dr the
    unit's refunds, Cr bank."""
    amount = _positive(amount, "credit note")
    return [Line(AccountKind.UNIT_REFUNDS, amount, unit_id), Line(AccountKind.BANK, -amount)]


def invoice_charge_lines(*, unit_id: int, amount: int, fee: int) -> list[Line]:
    """An invoice paid by card through Stripe, as finance reconciles a charge (clearing + fees =
    the balance transaction's amount, fees = its fee): Dr processor_clearing the gross, Cr the
    unit's receivable; Dr the unit's fees, Cr processor_clearing Stripe's fee."""
    amount = _positive(amount, "invoice charge")
    if type(fee) is not int or fee < 0:
        raise LedgerUnbalanced(f"A processing fee must be zero or more minor units, not {fee!r}.")
    out = [Line(AccountKind.PROCESSOR_CLEARING, amount), Line(AccountKind.UNIT_RECEIVABLE, -amount, unit_id)]
    if fee:
        out += [Line(AccountKind.UNIT_FEES, fee, unit_id), Line(AccountKind.PROCESSOR_CLEARING, -fee)]
    return out

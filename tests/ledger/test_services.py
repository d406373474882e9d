"""Posting, refusing, idempotency, reversal, fee split and the figures finance reads."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ledger import selectors
from ledger.errors import LedgerConflict, LedgerUnbalanced
from ledger.models import Account, AccountKind, LedgerEntry, LedgerTransaction, TransactionKind
from ledger.services import (
    ChargeLine,
    Line,
    charge_lines,
    fee_split,
    ledger_post,
    ledger_reverse,
    payout_lines,
    payout_reversal_lines,
    refund_lines,
    refund_reversal_lines,
    transfer_lines,
    transfer_reversal_lines,
)
from tests.ledger.conftest import WHEN, Books

A = AccountKind
T = TransactionKind
# Stand-ins for unit ids in parameters, made before the units exist.
U, X = -1, -2


def rows(txn: LedgerTransaction) -> list[tuple[str, int | None, int, str]]:
    return list(txn.entries.order_by("pk").values_list("account__kind", "unit_id", "amount", "line_ref"))


def nothing_written() -> bool:
    return not LedgerTransaction.objects.exists() and not LedgerEntry.objects.exists()


# --- builders ---------------------------------------------------------------------------------


def test_charge_lines_split_revenue_per_line_and_fee_per_unit(books: Books):
    n, b = books.nursing.pk, books.business.pk
    lines = charge_lines(
        lines=[
            ChargeLine(n, 10_000, "line:1"),
            ChargeLine(b, 5_000, "line:2"),
            ChargeLine(n, 5_000, "line:3"),
        ],
        fee=610,
    )
    assert sum(line.amount for line in lines) == 0
    assert lines == [
        Line(A.PROCESSOR_CLEARING, 20_000),
        Line(A.UNIT_REVENUE, -10_000, n, "line:1"),
        Line(A.UNIT_REVENUE, -5_000, b, "line:2"),
        Line(A.UNIT_REVENUE, -5_000, n, "line:3"),
        # nursing sold 15,000 of 20,000: 457.5 → 458 (larger remainder… tie → smaller key)
        Line(A.UNIT_FEES, fee_split(610, {n: 15_000, b: 5_000})[n], n),
        Line(A.UNIT_FEES, fee_split(610, {n: 15_000, b: 5_000})[b], b),
        Line(A.PROCESSOR_CLEARING, -610),
    ]
    fees = {line.unit_id: line.amount for line in lines if line.kind == A.UNIT_FEES}
    assert sum(fees.values()) == 610
    assert sorted(fees.values()) == [152, 458]


def test_charge_without_fee_and_with_a_free_line(books: Books):
    n = books.nursing.pk
    lines = charge_lines(lines=[ChargeLine(n, 4_900, "line:1"), ChargeLine(n, 0, "line:2")], fee=0)
    assert lines == [Line(A.PROCESSOR_CLEARING, 4_900), Line(A.UNIT_REVENUE, -4_900, n, "line:1")]


@pytest.mark.parametrize(
    ("build", "expected"),
    [
        (lambda u: refund_lines(unit_id=u, amount=700, line_ref="line:9"),
         [Line(A.UNIT_REFUNDS, 700, U, "line:9"), Line(A.PROCESSOR_CLEARING, -700)]),
        (lambda u: refund_reversal_lines(unit_id=u, amount=700, line_ref="line:9"),
         [Line(A.PROCESSOR_CLEARING, 700), Line(A.UNIT_REFUNDS, -700, U, "line:9")]),
        (lambda u: transfer_lines(unit_id=u, amount=900),
         [Line(A.UNIT_SETTLED, 900, U), Line(A.PROCESSOR_CLEARING, -900)]),
        (lambda u: transfer_reversal_lines(unit_id=u, amount=900),
         [Line(A.PROCESSOR_CLEARING, 900), Line(A.UNIT_SETTLED, -900, U)]),
        (lambda u: payout_lines(amount=1_200), [Line(A.BANK, 1_200), Line(A.PROCESSOR_CLEARING, -1_200)]),
        (lambda u: payout_reversal_lines(amount=1_200),
         [Line(A.PROCESSOR_CLEARING, 1_200), Line(A.BANK, -1_200)]),
    ],
)  # fmt: skip
def test_every_builder_balances_and_posts(books: Books, build, expected):
    unit = books.nursing.pk
    lines = build(unit)
    assert lines == [Line(e.kind, e.amount, unit if e.unit_id == U else None, e.line_ref) for e in expected]
    assert sum(line.amount for line in lines) == 0
    txn = ledger_post(
        tenant=books.tenant, kind=T.REFUND, source_ref="re_1", currency="USD", lines=lines, occurred_at=WHEN
    )
    assert [amount for _, _, amount, _ in rows(txn)] == [line.amount for line in lines]


@pytest.mark.parametrize("amount", [0, -5])
def test_builders_refuse_a_non_positive_amount(amount):
    with pytest.raises(LedgerUnbalanced, match="positive"):
        refund_lines(unit_id=1, amount=amount)
    with pytest.raises(LedgerUnbalanced, match="positive"):
        payout_lines(amount=amount)


def test_charge_lines_refuse_nothing_paid_and_negative_fee():
    with pytest.raises(LedgerUnbalanced, match="paid order line"):
        charge_lines(lines=[ChargeLine(1, 0)], fee=0)
    with pytest.raises(LedgerUnbalanced, match="fee"):
        charge_lines(lines=[ChargeLine(1, 100)], fee=-1)


# --- fee_split --------------------------------------------------------------------------------


def test_fee_split_largest_remainder_and_ties_by_key():
    assert fee_split(100, {"a": 1, "b": 1, "c": 1}) == {"a": 34, "b": 33, "c": 33}
    assert fee_split(100, {3: 1, 1: 1, 2: 1}) == {3: 33, 1: 34, 2: 33}
    assert fee_split(10, {1: 1, 2: 2}) == {1: 3, 2: 7}  # 3.33 / 6.67
    assert fee_split(-10, {1: 1, 2: 2}) == {1: -3, 2: -7}
    assert fee_split(0, {1: 5, 2: 0}) == {1: 0, 2: 0}
    assert fee_split(59, {7: 1000}) == {7: 59}


def test_fee_split_refuses_what_cannot_be_split():
    with pytest.raises(ValueError, match="over nothing"):
        fee_split(5, {1: 0})
    with pytest.raises(ValueError, match="negative"):
        fee_split(5, {1: -1, 2: 3})


# --- ledger_post refusals ---------------------------------------------------------------------


def post(books: Books, lines: list[Line], **kw):
    args = {
        "tenant": books.tenant,
        "kind": T.CHARGE,
        "source_ref": "ch_1",
        "currency": "USD",
        "occurred_at": WHEN,
    }
    return ledger_post(**{**args, **kw}, lines=lines)


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ([], "at least two lines; 0 given"),
        ([Line(A.BANK, 100)], "at least two lines; 1 given"),
        ([Line(A.BANK, 100), Line(A.PROCESSOR_CLEARING, -99)], r"sum to \+1, not 0"),
        ([Line(A.BANK, 100), Line(A.PROCESSOR_CLEARING, -100), Line(A.BANK, 0)], "zero amount"),
        ([Line(A.UNIT_REVENUE, -100), Line(A.PROCESSOR_CLEARING, 100)], "unit_revenue line needs its unit"),
        ([Line(A.BANK, 100, U), Line(A.PROCESSOR_CLEARING, -100)], "bank line is tenant-wide"),
        ([Line(A.UNIT_FEES, 100, X), Line(A.PROCESSOR_CLEARING, -100)], "No unit .* in this tenant"),
        ([Line(A.BANK, 1.5), Line(A.PROCESSOR_CLEARING, -1.5)], "whole minor units"),  # type: ignore[arg-type]
        ([Line("cash", 100), Line(A.PROCESSOR_CLEARING, -100)], "not an account kind"),  # type: ignore[arg-type]
    ],
)
def test_ledger_post_refuses_bad_lines_and_writes_nothing(books: Books, lines, message):
    units = {U: books.nursing.pk, X: books.other_unit.pk}
    lines = [Line(x.kind, x.amount, units.get(x.unit_id or 0, x.unit_id), x.line_ref) for x in lines]
    with pytest.raises(LedgerUnbalanced, match=message) as refused:
        post(books, lines)
    assert isinstance(refused.value, ValueError)
    assert nothing_written()
    assert not Account.objects.exists()


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"currency": "usd"}, "ISO 4217"),
        ({"source_ref": ""}, "source"),
        ({"kind": "gift"}, "not a ledger transaction kind"),
        ({"occurred_at": WHEN.replace(tzinfo=None)}, "timezone-aware"),
    ],
)
def test_ledger_post_refuses_bad_headers(books: Books, kw, message):
    with pytest.raises(LedgerUnbalanced, match=message):
        post(books, payout_lines(amount=100), **kw)
    assert nothing_written()


def test_a_correction_must_match_what_it_reverses(books: Books):
    first = post(books, payout_lines(amount=100), kind=T.PAYOUT, source_ref="po_1")
    with pytest.raises(LedgerUnbalanced, match="tenant and currency"):
        post(
            books,
            payout_reversal_lines(amount=100),
            kind=T.CORRECTION,
            source_ref="x",
            currency="EUR",
            reverses=first,
        )
    assert LedgerTransaction.objects.count() == 1


# --- posting and idempotency ------------------------------------------------------------------


def test_post_writes_entries_with_accounts_per_unit_and_currency(books: Books):
    n = books.nursing.pk
    txn = post(books, charge_lines(lines=[ChargeLine(n, 1_000, "line:1")], fee=59), order_ref="order:7")
    assert (txn.kind, txn.source_ref, txn.currency, txn.order_ref) == ("charge", "ch_1", "USD", "order:7")
    assert rows(txn) == [
        ("processor_clearing", None, 1_000, ""),
        ("unit_revenue", n, -1_000, "line:1"),
        ("unit_fees", n, 59, ""),
        ("processor_clearing", None, -59, ""),
    ]
    assert {(a.kind, a.unit_id, a.currency) for a in Account.objects.all()} == {
        ("processor_clearing", None, "USD"),
        ("unit_revenue", n, "USD"),
        ("unit_fees", n, "USD"),
    }
    assert all(e.occurred_at == WHEN and e.tenant_id == books.tenant.pk for e in txn.entries.all())
    # A second charge reuses the accounts.
    post(books, charge_lines(lines=[ChargeLine(n, 500)], fee=45), source_ref="ch_2")
    assert Account.objects.count() == 3


def test_same_source_twice_returns_the_first(books: Books):
    lines = charge_lines(lines=[ChargeLine(books.nursing.pk, 1_000)], fee=59)
    first = post(books, lines, memo="first")
    again = post(books, list(reversed(lines)), memo="second", occurred_at=WHEN + timedelta(days=1))
    assert again.pk == first.pk
    assert again.memo == "first"
    assert LedgerEntry.objects.count() == 4


def test_same_source_with_other_lines_is_a_conflict(books: Books):
    first = post(books, charge_lines(lines=[ChargeLine(books.nursing.pk, 1_000)], fee=59))
    with pytest.raises(LedgerConflict, match="ch_1 was already posted with other lines"):
        post(books, charge_lines(lines=[ChargeLine(books.nursing.pk, 1_000)], fee=60))
    with pytest.raises(LedgerConflict):
        post(books, charge_lines(lines=[ChargeLine(books.nursing.pk, 1_000)], fee=59), currency="EUR")
    assert list(LedgerTransaction.objects.all()) == [first]
    assert LedgerEntry.objects.count() == 4


def test_same_source_of_another_kind_or_tenant_is_another_transaction(books: Books):
    post(books, payout_lines(amount=100), kind=T.PAYOUT, source_ref="po_1")
    post(books, payout_reversal_lines(amount=100), kind=T.PAYOUT_REVERSAL, source_ref="po_1")
    post(books, payout_lines(amount=100), kind=T.PAYOUT, source_ref="po_1", tenant=books.other_tenant)
    assert LedgerTransaction.objects.count() == 3


# --- reversal ---------------------------------------------------------------------------------


def test_reverse_posts_the_negation_and_leaves_the_original(books: Books):
    n = books.nursing.pk
    original = post(books, charge_lines(lines=[ChargeLine(n, 1_000, "line:1")], fee=59), order_ref="order:7")
    before = rows(original)
    later = WHEN + timedelta(days=3)
    correction = ledger_reverse(
        transaction=original, source_ref="ch_1:reversal", memo="wrong unit", occurred_at=later
    )
    assert (correction.kind, correction.reverses_id, correction.order_ref) == (
        "correction",
        original.pk,
        "order:7",
    )
    assert correction.memo == "wrong unit"
    assert correction.occurred_at == later
    assert rows(correction) == [(k, u, -amount, ref) for k, u, amount, ref in before]
    original.refresh_from_db()
    assert rows(original) == before
    assert original.occurred_at == WHEN
    # Idempotent by its own source; another source cannot reverse it twice.
    again = ledger_reverse(transaction=original, source_ref="ch_1:reversal", memo="x", occurred_at=later)
    assert again.pk == correction.pk
    with pytest.raises(LedgerConflict, match="already reversed by ch_1:reversal"):
        ledger_reverse(transaction=original, source_ref="ch_1:reversal-2", memo="x", occurred_at=later)
    assert LedgerTransaction.objects.count() == 2
    assert selectors.unit_figures(tenant=books.tenant)[0].gross == 0


# --- selectors --------------------------------------------------------------------------------


def test_unit_figures_and_balances_over_a_period(books: Books):
    n, b = books.nursing.pk, books.business.pk
    t = books.tenant
    post(
        books, charge_lines(lines=[ChargeLine(n, 10_000, "line:1"), ChargeLine(b, 5_000, "line:2")], fee=465)
    )
    post(books, refund_lines(unit_id=n, amount=2_500), kind=T.REFUND, source_ref="re_1",
         occurred_at=WHEN + timedelta(days=1))  # fmt: skip
    post(books, transfer_lines(unit_id=b, amount=4_000), kind=T.TRANSFER, source_ref="tr_1",
         occurred_at=WHEN + timedelta(days=2))  # fmt: skip
    post(books, charge_lines(lines=[ChargeLine(n, 3_000)], fee=0), source_ref="ch_eur", currency="EUR")
    post(books, payout_lines(amount=1_000), kind=T.PAYOUT, source_ref="po_1", tenant=books.other_tenant)

    split = fee_split(465, {n: 10_000, b: 5_000})
    assert split == {n: 310, b: 155}
    figures = selectors.unit_figures(tenant=t)
    assert n < b
    assert [(f.unit_id, f.currency, f.gross, f.refunds, f.fees, f.net, f.settled) for f in figures] == [
        (n, "EUR", 3_000, 0, 0, 3_000, 0),
        (n, "USD", 10_000, 2_500, 310, 7_190, 0),
        (b, "USD", 5_000, 0, 155, 4_845, 4_000),
    ]
    # [start, end): the refund a day later is outside the first day.
    first_day = selectors.unit_figures(
        tenant=t, start=WHEN, end=WHEN + timedelta(days=1), currency="USD", unit_ids=[n]
    )
    assert [(f.gross, f.refunds, f.fees, f.net) for f in first_day] == [(10_000, 0, 310, 9_690)]
    assert selectors.unit_figures(tenant=books.other_tenant) == []

    assert (
        selectors.account_balance(tenant=t, kind=A.PROCESSOR_CLEARING, currency="USD")
        == 15_000 - 465 - 2_500 - 4_000
    )
    assert selectors.account_balance(tenant=t, kind=A.UNIT_REVENUE, unit_id=n, currency="USD") == -10_000
    assert selectors.account_balance(tenant=t, kind=A.BANK, currency="USD") == 0

    found = selectors.transactions_by_source(tenant=t, source_refs=["ch_1", "re_1", "po_1", "missing"])
    assert sorted(found) == ["ch_1", "re_1"]
    assert [txn.kind for txn in found["re_1"]] == ["refund"]
    assert sum(e.amount for e in found["ch_1"][0].entries.all()) == 0

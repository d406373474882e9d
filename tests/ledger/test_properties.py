"""Property test over random orders and random later events, posted to the real database.

Each example runs in its own savepoint with its own tenant and is rolled back, and asks the
database to run its deferred balance check before the rollback (SET CONSTRAINTS … IMMEDIATE),
so the database, not only Python, judges every transaction.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.db import connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger import selectors
from ledger.models import AccountKind, LedgerTransaction, TransactionKind
from ledger.services import (
    ChargeLine,
    Line,
    charge_lines,
    ledger_post,
    payout_lines,
    payout_reversal_lines,
    refund_lines,
    refund_reversal_lines,
    transfer_lines,
    transfer_reversal_lines,
)
from tests.factories import TenantFactory, UnitFactory
from tests.ledger.conftest import WHEN

pytestmark = pytest.mark.django_db

order_line = st.tuples(st.integers(0, 3), st.integers(1, 2_000_000))  # (unit index, amount)


@st.composite
def order(draw: st.DrawFn) -> tuple[list[tuple[int, int]], int]:
    lines = draw(st.lists(order_line, min_size=1, max_size=5))
    gross = sum(amount for _, amount in lines)
    fee = draw(st.one_of(st.just(0), st.just(gross), st.integers(0, gross)))
    return lines, fee


event = st.one_of(
    st.tuples(st.just("refund"), st.integers(0, 99), st.floats(0, 1)),
    st.tuples(st.just("refund_reversal"), st.integers(0, 99), st.floats(0, 1)),
    st.tuples(st.just("transfer"), st.integers(0, 3), st.integers(1, 500_000)),
    st.tuples(st.just("transfer_reversal"), st.integers(0, 99), st.floats(0, 1)),
    st.tuples(st.just("payout"), st.integers(0, 99), st.integers(1, 500_000)),
    st.tuples(st.just("payout_reversal"), st.integers(0, 99), st.floats(0, 1)),
)


@dataclass
class Expected:
    """What each unit should show, computed from the inputs, not from the ledger."""

    gross: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    refunds: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    fees: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    settled: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    clearing: int = 0


def check_fee_shares(lines: list[Line], fee: int, unit_gross: dict[int, int]) -> dict[int, int]:
    shares = {line.unit_id: line.amount for line in lines if line.kind == AccountKind.UNIT_FEES}
    assert all(unit_id is not None for unit_id in shares)
    assert sum(shares.values()) == fee
    total = sum(unit_gross.values())
    for unit_id, gross in unit_gross.items():
        part = shares.get(unit_id, 0)
        # |part − fee·gross/total| < 1 minor unit, in integers.
        assert abs(part * total - fee * gross) < total, (part, fee, gross, total)
    return {unit_id: part for unit_id, part in shares.items() if unit_id is not None}


@settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(orders=st.lists(order(), min_size=1, max_size=3), events=st.lists(event, max_size=8))
def test_random_orders_and_events_always_balance_and_add_up(db, orders, events):
    with transaction.atomic():
        run_example(orders, events)
        transaction.set_rollback(True)


def run_example(
    orders: list[tuple[list[tuple[int, int]], int]], events: list[tuple[str, int, float]]
) -> None:
    tenant = TenantFactory.create()
    units = [UnitFactory.create(tenant=tenant).pk for _ in range(4)]
    expected = Expected()
    refundable: list[tuple[int, str, int]] = []  # (unit, line_ref, amount left to refund)
    undoable: dict[str, list[tuple[int | None, int]]] = defaultdict(list)  # kind → (unit, amount)
    when = WHEN
    seq = 0

    def post(kind: TransactionKind, lines: list[Line]) -> LedgerTransaction:
        nonlocal seq, when
        seq += 1
        when += timedelta(minutes=1)
        txn = ledger_post(
            tenant=tenant,
            kind=kind,
            source_ref=f"{kind}_{seq}",
            currency="USD",
            lines=lines,
            occurred_at=when,
        )
        assert sum(e.amount for e in txn.entries.all()) == 0
        return txn

    for index, (order_lines, fee) in enumerate(orders):
        charge = [
            ChargeLine(units[u], amount, f"line:{index}:{n}") for n, (u, amount) in enumerate(order_lines)
        ]
        lines = charge_lines(lines=charge, fee=fee)
        assert sum(line.amount for line in lines) == 0
        unit_gross: dict[int, int] = defaultdict(int)
        for line in charge:
            unit_gross[line.unit_id] += line.amount
            expected.gross[line.unit_id] += line.amount
            refundable.append((line.unit_id, line.line_ref, line.amount))
        for unit_id, part in check_fee_shares(lines, fee, unit_gross).items():
            expected.fees[unit_id] += part
        expected.clearing += sum(unit_gross.values()) - fee
        first = post(TransactionKind.CHARGE, lines)
        # Posting the same charge again changes nothing.
        again = ledger_post(
            tenant=tenant,
            kind=first.kind,
            source_ref=first.source_ref,
            currency="USD",
            lines=lines,
            occurred_at=when,
        )
        assert again.pk == first.pk

    for name, pick, size in events:
        apply_event(name, pick, size, post, units, expected, refundable, undoable)

    with connection.cursor() as cur:
        # The database's own check, now rather than at a commit that never comes.
        cur.execute("SET CONSTRAINTS ledger_transaction_balanced, ledger_entry_balanced IMMEDIATE")
        cur.execute("SET CONSTRAINTS ledger_transaction_balanced, ledger_entry_balanced DEFERRED")
        cur.execute(
            "SELECT transaction_id FROM ledger_ledgerentry WHERE tenant_id = %s"
            " GROUP BY transaction_id HAVING sum(amount) <> 0 OR count(*) < 2",
            [tenant.pk],
        )
        assert cur.fetchall() == []

    figures = {f.unit_id: f for f in selectors.unit_figures(tenant=tenant)}
    for unit_id in units:
        f = figures.get(unit_id)
        got = (f.gross, f.refunds, f.fees, f.net, f.settled) if f else (0, 0, 0, 0, 0)
        gross, refunds, fees = expected.gross[unit_id], expected.refunds[unit_id], expected.fees[unit_id]
        assert got == (gross, refunds, fees, gross - refunds - fees, expected.settled[unit_id])
    assert (
        selectors.account_balance(tenant=tenant, kind=AccountKind.PROCESSOR_CLEARING, currency="USD")
        == expected.clearing
    )


def apply_event(name, pick, size, post, units, expected, refundable, undoable) -> None:
    if name == "refund":
        unit_id, line_ref, left = refundable[pick % len(refundable)]
        if left == 0:
            return
        amount = min(max(1, int(left * size)), left)
        post(TransactionKind.REFUND, refund_lines(unit_id=unit_id, amount=amount, line_ref=line_ref))
        refundable[pick % len(refundable)] = (unit_id, line_ref, left - amount)
        expected.refunds[unit_id] += amount
        expected.clearing -= amount
        undoable["refund"].append((unit_id, amount))
    elif name == "transfer":
        unit_id = units[pick]
        post(TransactionKind.TRANSFER, transfer_lines(unit_id=unit_id, amount=int(size)))
        expected.settled[unit_id] += int(size)
        expected.clearing -= int(size)
        undoable["transfer"].append((unit_id, int(size)))
    elif name == "payout":
        post(TransactionKind.PAYOUT, payout_lines(amount=int(size)))
        expected.clearing -= int(size)
        undoable["payout"].append((None, int(size)))
    else:
        done = undoable[name.removesuffix("_reversal")]
        if not done:
            return
        unit_id, amount = done.pop(pick % len(done))
        if name == "refund_reversal":
            post(TransactionKind.REFUND_REVERSAL, refund_reversal_lines(unit_id=unit_id, amount=amount))
            expected.refunds[unit_id] -= amount
        elif name == "transfer_reversal":
            post(TransactionKind.TRANSFER_REVERSAL, transfer_reversal_lines(unit_id=unit_id, amount=amount))
            expected.settled[unit_id] -= amount
        else:
            post(TransactionKind.PAYOUT_REVERSAL, payout_reversal_lines(amount=amount))
        expected.clearing += amount

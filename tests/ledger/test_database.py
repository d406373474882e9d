"""What the database itself guarantees, whatever code writes to it: rows are never changed or
deleted, and no transaction commits unless its entries sum to zero. Also: concurrent posts of one
source, on real parallel connections, end with one transaction.

These tests commit (transaction=True): the balance check is a deferred constraint trigger that
runs only at commit.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import partial
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction

from ledger.errors import LedgerConflict
from ledger.models import Account, AccountKind, LedgerEntry, LedgerTransaction, TransactionKind
from ledger.services import ChargeLine, charge_lines, ledger_post, payout_lines
from tenants.models import Unit
from tests.ledger.conftest import WHEN, Books, make_books

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def committed_books() -> Books:
    return make_books()


def post_charge(books: Books, source_ref: str = "ch_1", fee: int = 59) -> LedgerTransaction:
    return ledger_post(
        tenant=books.tenant,
        kind=TransactionKind.CHARGE,
        source_ref=source_ref,
        currency="USD",
        lines=charge_lines(lines=[ChargeLine(books.nursing.pk, 1_000, "line:1")], fee=fee),
        occurred_at=WHEN,
    )


def amounts(txn_id: int) -> list[int]:
    return list(
        LedgerEntry.objects.filter(transaction_id=txn_id).order_by("pk").values_list("amount", flat=True)
    )


# --- append-only ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE ledger_ledgerentry SET amount = amount * 2 WHERE transaction_id = %s",
        "DELETE FROM ledger_ledgerentry WHERE transaction_id = %s",
        "UPDATE ledger_ledgertransaction SET memo = 'edited' WHERE id = %s",
        "DELETE FROM ledger_ledgertransaction WHERE id = %s",
    ],
)
def test_the_database_refuses_to_change_or_delete_posted_rows(committed_books: Books, statement: str):
    txn = post_charge(committed_books)
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic(), connection.cursor() as cur:
        cur.execute(statement, [txn.pk])
    assert amounts(txn.pk) == [1_000, -1_000, 59, -59]
    assert LedgerTransaction.objects.get(pk=txn.pk).memo == ""


def test_the_orm_cannot_edit_an_entry_either(committed_books: Books):
    txn = post_charge(committed_books)
    entry = txn.entries.order_by("pk").first()
    assert entry is not None
    entry.amount = 5
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        entry.save()
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        Account.objects.filter(tenant=committed_books.tenant).update(currency="EUR")
    assert amounts(txn.pk) == [1_000, -1_000, 59, -59]


# --- balanced at commit -----------------------------------------------------------------------


def raw_transaction(
    books: Books, source_ref: str, entries: list[tuple[AccountKind, Unit | None, int]]
) -> None:
    """Write a transaction and its entries with plain SQL, bypassing ledger_post, in one commit."""
    accounts = {
        (kind, unit): Account.objects.get_or_create(
            tenant=books.tenant, kind=kind, unit=unit, currency="USD"
        )[0]
        for kind, unit, _ in entries
    }
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(
            "INSERT INTO ledger_ledgertransaction (tenant_id, currency, kind, source_ref, order_ref, memo,"
            " occurred_at, created_at) VALUES (%s, 'USD', 'charge', %s, '', '', %s, now()) RETURNING id",
            [books.tenant.pk, source_ref, WHEN],
        )
        (txn_id,) = cur.fetchone()
        for kind, unit, amount in entries:
            cur.execute(
                "INSERT INTO ledger_ledgerentry (transaction_id, tenant_id, account_id, unit_id, currency,"
                " amount, line_ref, occurred_at) VALUES (%s, %s, %s, %s, 'USD', %s, '', %s)",
                [txn_id, books.tenant.pk, accounts[(kind, unit)].pk, unit.pk if unit else None, amount, WHEN],
            )


def test_the_database_refuses_at_commit_a_transaction_that_does_not_balance(committed_books: Books):
    n = committed_books.nursing
    with pytest.raises(IntegrityError, match="does not balance: 2 entries summing to 1"):
        raw_transaction(
            committed_books,
            "ch_raw",
            [(AccountKind.PROCESSOR_CLEARING, None, 1_000), (AccountKind.UNIT_REVENUE, n, -999)],
        )
    with pytest.raises(IntegrityError, match="does not balance: 0 entries summing to 0"):
        raw_transaction(committed_books, "ch_empty", [])
    with pytest.raises(IntegrityError, match="does not balance: 1 entries summing to 5"):
        raw_transaction(committed_books, "ch_one", [(AccountKind.BANK, None, 5)])
    assert not LedgerTransaction.objects.exists()
    assert not LedgerEntry.objects.exists()
    # The same statements, balanced, commit.
    raw_transaction(
        committed_books,
        "ch_ok",
        [(AccountKind.PROCESSOR_CLEARING, None, 1_000), (AccountKind.UNIT_REVENUE, n, -1_000)],
    )
    assert LedgerTransaction.objects.filter(source_ref="ch_ok").count() == 1


def test_the_database_refuses_entries_added_later_to_a_balanced_transaction(committed_books: Books):
    txn = post_charge(committed_books)
    clearing = Account.objects.get(tenant=committed_books.tenant, kind=AccountKind.PROCESSOR_CLEARING)
    with pytest.raises(IntegrityError, match="does not balance"), transaction.atomic():
        LedgerEntry.objects.create(
            transaction=txn,
            tenant=committed_books.tenant,
            account=clearing,
            currency="USD",
            amount=1,
            occurred_at=WHEN,
        )
    assert amounts(txn.pk) == [1_000, -1_000, 59, -59]


def test_the_database_refuses_an_entry_in_another_currency_or_unit(committed_books: Books):
    txn = post_charge(committed_books)
    n = committed_books.nursing
    eur = Account.objects.create(tenant=committed_books.tenant, kind=AccountKind.BANK, currency="EUR")
    revenue = Account.objects.get(tenant=committed_books.tenant, kind=AccountKind.UNIT_REVENUE, unit=n)
    common = {"transaction": txn, "tenant": committed_books.tenant, "occurred_at": WHEN}
    with (
        pytest.raises(IntegrityError, match="entry in EUR on an account in EUR for a transaction in USD"),
        transaction.atomic(),
    ):
        LedgerEntry.objects.create(**common, account=eur, currency="EUR", amount=5)
    with (
        pytest.raises(IntegrityError, match=r"unit <NULL> differs from its account's unit"),
        transaction.atomic(),
    ):
        LedgerEntry.objects.create(**common, account=revenue, currency="USD", amount=5)
    assert amounts(txn.pk) == [1_000, -1_000, 59, -59]


# --- concurrent posts of one source -----------------------------------------------------------


def run_at_once(jobs: list[Callable[[], Any]]) -> list[Any]:
    """Run each job on its own thread (its own database connection), all released together."""
    results: list[Any] = [None] * len(jobs)
    barrier = threading.Barrier(len(jobs))

    def run(index: int) -> None:
        try:
            barrier.wait(10)
            results[index] = jobs[index]()
        except Exception as exc:  # noqa: BLE001 - the test inspects every outcome
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


def test_concurrent_posts_of_one_source_end_with_one_transaction(committed_books: Books):
    for round_ in range(5):
        source = f"ch_race_{round_}"
        results = run_at_once([partial(post_charge, committed_books, source) for _ in range(8)])
        assert all(isinstance(r, LedgerTransaction) for r in results), results
        assert len({r.pk for r in results}) == 1
        assert LedgerTransaction.objects.filter(source_ref=source).count() == 1
        assert amounts(results[0].pk) == [1_000, -1_000, 59, -59]
    # One set of accounts, created by whichever connection came first.
    assert Account.objects.filter(tenant=committed_books.tenant).count() == 3


def test_concurrent_posts_of_one_source_with_other_lines_conflict(committed_books: Books):
    results = run_at_once([partial(post_charge, committed_books, "ch_x", fee) for fee in (59, 60, 59, 60)])
    winners = [r for r in results if isinstance(r, LedgerTransaction)]
    conflicts = [r for r in results if isinstance(r, LedgerConflict)]
    assert len(winners) + len(conflicts) == 4
    assert len(conflicts) == 2
    assert len({w.pk for w in winners}) == 1
    assert LedgerTransaction.objects.filter(source_ref="ch_x").count() == 1


def test_concurrent_payouts_of_distinct_sources_all_post(committed_books: Books):
    def payout(i: int) -> LedgerTransaction:
        return ledger_post(
            tenant=committed_books.tenant,
            kind=TransactionKind.PAYOUT,
            source_ref=f"po_{i}",
            currency="USD",
            lines=payout_lines(amount=100 + i),
            occurred_at=WHEN,
        )

    results = run_at_once([partial(payout, i) for i in range(8)])
    assert all(isinstance(r, LedgerTransaction) for r in results), results
    assert LedgerTransaction.objects.filter(kind="payout").count() == 8
    assert Account.objects.filter(tenant=committed_books.tenant).count() == 2

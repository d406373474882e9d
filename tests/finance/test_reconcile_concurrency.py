"""Reconciles of one tenant at the same time, each from its own database connection: the
problems list comes out once, never twice."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from django.db import close_old_connections, connection
from django.db.models import Count

from finance.models import BalanceTransaction, Problem
from finance.services.reconcile import reconcile

pytestmark = pytest.mark.django_db(transaction=True)
THREADS = 4
ROUNDS = 3


def test_concurrent_reconciles_never_duplicate_problems(world):
    when = datetime(2026, 1, 5, 12, tzinfo=UTC)
    BalanceTransaction.objects.bulk_create(
        BalanceTransaction(
            tenant=world.a,
            stripe_id=f"txn_adj_{i}",
            type="adjustment",  # not tracked by the ledger: a problem each
            source_id=f"adj_{i}",
            amount=-100,
            fee=0,
            net=-100,
            currency="USD",
            created=when,
            available_on=when,
        )
        for i in range(40)
    )
    reconcile(tenant=world.a)
    assert Problem.objects.filter(tenant=world.a).count() == 40
    errors: list[BaseException] = []

    def run(barrier: threading.Barrier) -> None:
        try:
            barrier.wait(10)
            reconcile(tenant=world.a)
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            close_old_connections()
            connection.close()

    for _round in range(ROUNDS):
        barrier = threading.Barrier(THREADS)
        threads = [threading.Thread(target=run, args=(barrier,)) for _ in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert errors == []
        assert Problem.objects.filter(tenant=world.a).count() == 40
        doubled = (
            Problem.objects.filter(tenant=world.a)
            .values("kind", "balance_transaction_stripe_id")
            .annotate(n=Count("id"))
            .filter(n__gt=1)
        )
        assert list(doubled) == []

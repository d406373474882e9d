"""Importing balance transactions and payouts from the local Stripe through the real SDK."""

from __future__ import annotations

import pytest
from django.db import connection

from finance.models import BalanceTransaction, ImportRun, ImportState, Payout
from finance.services.imports import payout_import, stripe_import

DAY = 86_400


def _snapshot(tenant_id: int) -> list[tuple[object, ...]]:
    """Every imported row with its PostgreSQL row version: a rewrite changes xmin."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT stripe_id, xmin::text, payout_stripe_id, status "
            f"FROM {BalanceTransaction._meta.db_table} WHERE tenant_id = %s ORDER BY stripe_id",
            [tenant_id],
        )
        rows = cursor.fetchall()
        cursor.execute(
            f"SELECT stripe_id, xmin::text, status FROM {Payout._meta.db_table} WHERE tenant_id = %s "
            "ORDER BY stripe_id",
            [tenant_id],
        )
        return list(rows) + list(cursor.fetchall())


@pytest.mark.django_db(transaction=True)
def test_import_takes_payouts_their_items_and_pending_transactions(world, sdk, control):
    control.seed_charges(250, amount=1000)
    payout = control.trigger_payout("usd")
    control.seed_charges(3, amount=5000, available=False)  # pending: in no payout yet
    control.advance_clock(DAY + 1)  # the payout arrives: paid, reconciliation completed

    run = stripe_import(tenant=world.a, client=sdk, trigger="test")

    assert run.status == "done"
    assert run.transactions_new == 254  # 250 charges + the payout's own + 3 pending
    imported = Payout.objects.get(tenant=world.a)
    assert (imported.stripe_id, imported.amount, imported.status, imported.currency) == (
        payout["id"],
        250 * (1000 - 59),
        "paid",
        "USD",
    )
    assert imported.items_imported_at is not None
    swept = BalanceTransaction.objects.filter(tenant=world.a, payout_stripe_id=payout["id"])
    assert swept.count() == 251
    assert sorted(set(swept.values_list("type", flat=True))) == ["charge", "payout"]
    charge = swept.filter(type="charge").first()
    assert charge is not None
    assert (charge.amount, charge.fee, charge.net, charge.source_id[:3]) == (1000, 59, 941, "ch_")
    pending = BalanceTransaction.objects.filter(tenant=world.a, payout_stripe_id="")
    assert pending.count() == 3
    assert {p.status for p in pending} == {"pending"}
    # The cursor is the newest row seen (everything was made before the clock moved).
    assert ImportState.objects.get(tenant=world.a).balance_created_cursor == control.now() - DAY - 1


@pytest.mark.django_db(transaction=True)
def test_reimport_changes_nothing_and_catches_up_later(world, sdk, control):
    control.seed_charges(120, amount=2000)
    control.trigger_payout("usd")
    control.advance_clock(DAY + 1)
    stripe_import(tenant=world.a, client=sdk, trigger="test")
    before = _snapshot(world.a.pk)

    again = stripe_import(tenant=world.a, client=sdk, trigger="test")

    assert again.transactions_new == 0
    assert _snapshot(world.a.pk) == before
    # New activity later: only that is new; the other tenant has nothing.
    control.seed_charges(5, amount=700, available=False)
    later = stripe_import(tenant=world.a, client=sdk, trigger="test")
    assert later.transactions_new == 5
    assert BalanceTransaction.objects.filter(tenant=world.a).count() == 126
    assert BalanceTransaction.objects.filter(tenant=world.b).count() == 0
    # The pending ones become available and are swept into a payout: their rows say so.
    control.advance_clock(3 * DAY)
    second = control.trigger_payout("usd")
    control.advance_clock(DAY + 1)
    stripe_import(tenant=world.a, client=sdk, trigger="test")
    assert BalanceTransaction.objects.filter(tenant=world.a, payout_stripe_id=second["id"]).count() == 6
    assert set(
        BalanceTransaction.objects.filter(tenant=world.a, type="charge", amount=700).values_list(
            "status", flat=True
        )
    ) == {"available"}


@pytest.mark.django_db(transaction=True)
def test_a_payout_event_imports_that_payout(world, sdk, control):
    control.seed_charges(10, amount=1000)
    payout = control.trigger_payout("usd", fail_with="account_closed")
    control.advance_clock(DAY + 1)

    run = payout_import(tenant=world.a, client=sdk, payout_id=payout["id"], trigger="event payout.failed")

    imported = Payout.objects.get(tenant=world.a, stripe_id=payout["id"])
    assert (imported.status, imported.failure_code) == ("failed", "account_closed")
    assert BalanceTransaction.objects.filter(tenant=world.a, payout_stripe_id=payout["id"]).count() == 11
    assert list(ImportRun.objects.filter(tenant=world.a, status="done")) == [run]


@pytest.mark.django_db(transaction=True)
def test_stripe_down_fails_the_run_and_keeps_what_was_written(world, sdk, control):
    control.seed_charges(30, amount=1000, available=False)
    control.add_fault("/v1/balance_transactions", status=500, times=10)
    from finance.errors import ImportFailed

    with pytest.raises(ImportFailed):
        stripe_import(tenant=world.a, client=sdk, trigger="test")
    run = ImportRun.objects.get(tenant=world.a)
    assert run.status == "failed"
    assert ImportState.objects.get(tenant=world.a).balance_created_cursor == 0
    control.clear_faults()
    assert stripe_import(tenant=world.a, client=sdk, trigger="test").transactions_new == 30


@pytest.mark.django_db(transaction=True)
def test_worker_processes_import_the_same_rows(world, sdk, control, stripe_server):
    for _ in range(3):
        control.seed_charges(150, amount=1000)
        control.trigger_payout("usd")
        control.advance_clock(DAY)
    control.seed_charges(4, amount=3000, available=False)
    control.advance_clock(DAY + 1)

    run = stripe_import(
        tenant=world.a, client=sdk, trigger="test", workers=2, client_factory=stripe_server.client
    )

    assert (run.status, run.transactions_new, run.payouts_seen) == ("done", 3 * 151 + 4, 3)
    assert BalanceTransaction.objects.filter(tenant=world.a).exclude(payout_stripe_id="").count() == 3 * 151
    assert set(Payout.objects.filter(tenant=world.a).values_list("tie", flat=True)) == {"pending"}
    assert Payout.objects.filter(tenant=world.a, items_imported_at__isnull=True).count() == 0
    before = _snapshot(world.a.pk)
    again = stripe_import(
        tenant=world.a, client=sdk, trigger="test", workers=2, client_factory=stripe_server.client
    )
    assert again.transactions_new == 0
    assert _snapshot(world.a.pk) == before

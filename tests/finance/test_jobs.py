"""The jobs and the payout event receiver: each imports, posts payouts to the ledger, reconciles."""

from __future__ import annotations

import importlib.util

import pytest
from django.db import transaction

from finance import receivers, tasks
from finance.models import Payout, PayoutTie
from ledger.models import LedgerTransaction, TransactionKind
from ledger.services import ChargeLine
from tests.finance.activity import charge

pytestmark = pytest.mark.django_db(transaction=True)
DAY = 86_400


@pytest.fixture
def stripe_for_tenant(monkeypatch, sdk):
    """payments.stripe_api.stripe_client_for, as payments will answer it: the tenant's client."""
    monkeypatch.setattr(tasks, "stripe_client_for", lambda tenant: sdk)


def test_registration_follows_payments_registry():
    registered = receivers.register()
    assert registered == (importlib.util.find_spec("payments.events") is not None)
    if registered:
        events = importlib.import_module("payments.events")
        for event_type in receivers.PAYOUT_EVENTS:
            assert receivers.on_payout_event in events.handlers_for(event_type)


def test_a_payout_event_imports_posts_and_reconciles_after_commit(
    world, sdk, control, stripe_for_tenant, monkeypatch
):
    charge(world.a, sdk, [ChargeLine(world.a_unit1.pk, 9_900, "line:1")])
    control.advance_clock(2 * DAY + 1)
    payout = control.trigger_payout("usd")
    control.advance_clock(DAY + 1)
    queued: list[tuple[int, str, str]] = []
    monkeypatch.setattr(tasks.finance_payout_event, "delay", lambda *args: queued.append(args))
    event = {
        "id": "evt_1",
        "type": "payout.paid",
        "data": {"object": {"id": payout["id"], "object": "payout"}},
    }

    with transaction.atomic():  # as payments' apply job calls it
        receivers.on_payout_event(tenant=world.a, event=event)
        assert queued == []  # nothing leaves before the commit
    assert queued == [(world.a.pk, payout["id"], "payout.paid")]

    tasks.finance_payout_event(*queued[0])
    tasks.finance_payout_event(*queued[0])  # an event applied twice changes nothing more

    imported = Payout.objects.get(tenant=world.a, stripe_id=payout["id"])
    assert (imported.status, imported.tie) == ("paid", PayoutTie.TIED)
    assert LedgerTransaction.objects.filter(tenant=world.a, kind=TransactionKind.PAYOUT).count() == 1


def test_the_hourly_job_imports_every_active_tenant(world, sdk, control, stripe_for_tenant, monkeypatch):
    queued: list[tuple[int, str]] = []
    monkeypatch.setattr(tasks.finance_import_tenant, "delay", lambda *args: queued.append(args))
    world.b.is_active = False
    world.b.save()
    assert tasks.finance_import_all() == 1
    assert queued == [(world.a.pk, "schedule")]
    charge(world.a, sdk, [ChargeLine(world.a_unit2.pk, 5_000, "line:1")])
    result = tasks.finance_import_tenant(world.a.pk, "schedule")
    assert result["problems"] == {}
    assert tasks.finance_import_tenant(world.b.pk, "schedule") == {}


def test_the_command_imports_and_reconciles_a_tenant(world, sdk, control, monkeypatch):
    from io import StringIO

    from django.core.management import call_command

    from finance.management.commands import finance_import

    monkeypatch.setattr(finance_import, "stripe_client_for", lambda tenant: sdk)
    charge(world.a, sdk, [ChargeLine(world.a_unit1.pk, 4_000, "line:1")])
    control.advance_clock(2 * DAY + 1)
    control.trigger_payout("usd")
    control.advance_clock(DAY + 1)
    out = StringIO()
    call_command("finance_import", "alpha", stdout=out)
    assert "1 payouts, 1 posted to the ledger; problems: none" in out.getvalue()
    assert Payout.objects.get(tenant=world.a).tie == PayoutTie.TIED

"""The jobs and the payout event receiver: each imports, posts payouts to the ledger, reconciles."""

from __future__ import annotations

import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.db import transaction

from finance import receivers, tasks
from finance.models import ImportRun, Payout, PayoutTie
from ledger.models import LedgerTransaction, TransactionKind
from ledger.services import ChargeLine
from microcred.celery import app
from payments.stripe_event_registry import handlers_for
from tests.broker import broker_down
from tests.finance.activity import charge
from tests.payments.conftest import API_KEY, WHSEC_A, configure_stripe

pytestmark = pytest.mark.django_db(transaction=True)
DAY = 86_400


@pytest.fixture
def stripe_for_tenant(world, stripe_server, settings):
    """Alpha's own Stripe keys, stored as a tenant admin sets them; the SDK goes to the local Stripe."""
    settings.STRIPE_API_BASE = stripe_server.url
    configure_stripe(world.a, secret_key=API_KEY, webhook_secret=WHSEC_A)


def test_payout_events_reach_finance_through_payments_registry():
    for event_type in receivers.PAYOUT_EVENTS:
        assert receivers.on_payout_event in handlers_for(event_type)


def test_a_payout_event_imports_posts_and_reconciles_after_commit(
    world, sdk, control, stripe_for_tenant, monkeypatch
):
    charge(world.a, sdk, [ChargeLine(world.a_unit1.pk, 9_900, "line:1")])
    control.advance_clock(2 * DAY + 1)
    payout = control.trigger_payout("usd")
    control.advance_clock(DAY + 1)
    queued: list[tuple[int, str, str]] = []
    monkeypatch.setattr(
        tasks.finance_payout_event, "apply_async", lambda args, **kw: queued.append(tuple(args))
    )
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
    runs = ImportRun.objects.filter(tenant=world.a)
    assert list(runs.values_list("trigger", "status")) == [("event payout.paid", "done")] * 2


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


def test_the_command_imports_and_reconciles_a_tenant(world, sdk, control, stripe_for_tenant):
    from io import StringIO

    from django.core.management import call_command

    charge(world.a, sdk, [ChargeLine(world.a_unit1.pk, 4_000, "line:1")])
    control.advance_clock(2 * DAY + 1)
    control.trigger_payout("usd")
    control.advance_clock(DAY + 1)
    out = StringIO()
    call_command("finance_import", "alpha", stdout=out)
    assert "1 payouts, 1 posted to the ledger; problems: none" in out.getvalue()
    assert Payout.objects.get(tenant=world.a).tie == PayoutTie.TIED


def test_import_now_brings_a_new_payout_onto_the_payouts_page(world, sdk, control, stripe_for_tenant):
    charge(world.a, sdk, [ChargeLine(world.a_unit1.pk, 7_500, "line:1")])
    control.advance_clock(2 * DAY + 1)
    payout = control.trigger_payout("usd")
    control.advance_clock(DAY + 1)
    client = world.client_for(world.a_finance_all, world.a)
    assert payout["id"] not in client.get("/console/finance/").content.decode()

    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        answer = client.post("/console/finance/import/", follow=True)
        assert "Import started" in answer.content.decode()
        deadline = time.monotonic() + 20
        while not Payout.objects.filter(tenant=world.a, stripe_id=payout["id"]).exists():
            assert time.monotonic() < deadline, "the import job never brought the payout in"
            time.sleep(0.1)

    page = client.get("/console/finance/").content.decode()
    assert payout["id"] in page
    assert Payout.objects.get(tenant=world.a, stripe_id=payout["id"]).tie == PayoutTie.TIED


def test_import_now_with_the_broker_down_says_so_and_fails_nothing(world, stripe_for_tenant):
    client = world.client_for(world.a_finance_all, world.a)

    with broker_down():
        answer = client.post("/console/finance/import/", follow=True)

    assert answer.status_code == 200
    page = answer.content.decode()
    assert "The import could not be started just now. Try again in a minute." in page
    assert "Import started" not in page


def test_only_tenant_wide_finance_can_start_an_import(world, stripe_for_tenant):
    for user in (world.a_finance_unit2, world.a_unit1_admin, world.a_admin):
        assert world.client_for(user, world.a).post("/console/finance/import/").status_code == 404


def test_the_jobs_skip_a_tenant_without_stripe_keys(world):
    # world.b has no Stripe settings: stripe_client_for raises StripeNotConfigured.
    assert tasks.finance_import_tenant(world.b.pk, "schedule") == {}
    assert tasks.finance_payout_event(world.b.pk, "po_x", "payout.paid") == {}


def test_the_jobs_let_other_errors_through(world, monkeypatch):
    def broken(tenant):
        raise RuntimeError("a bug, not a missing key")

    monkeypatch.setattr(tasks, "stripe_client_for", broken)
    with pytest.raises(RuntimeError, match="a bug"):
        tasks.finance_import_tenant(world.a.pk, "schedule")
    with pytest.raises(RuntimeError, match="a bug"):
        tasks.finance_payout_event(world.a.pk, "po_x", "payout.paid")

"""`make run`'s demo finance history: through the local Stripe as real payouts happen, then the
import and reconciliation, so every finance page has something to show on a first look."""

from __future__ import annotations

from django.core.management import call_command
from django.test import Client

import stripe_local
from devtools.demo_finance import seed_finance
from finance.models import Payout
from tenants.models import StaffRole, Tenant
from tests.factories import make_staff
from tests.payments.conftest import configure_stripe

EMPTY = {
    "/console/finance/": "No payouts imported yet",
    "/console/finance/problems/": "No problems:",
    "/console/finance/statements/": "Nothing in the ledger for these units in this period.",
    "/console/finance/journals/": "No journal exported yet.",
}


def test_every_finance_page_has_the_demo_history_to_show(db, settings):
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    northfield = Tenant.objects.get(slug="northfield")
    configure_stripe(northfield, secret_key="sk_test_local_demo", webhook_secret="whsec_demo_0123456789")
    finance = make_staff(northfield, StaffRole.FINANCE, all_units=True)
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(finance)
    before = {path: client.get(path).content.decode() for path in EMPTY}
    assert all(empty in before[path] for path, empty in EMPTY.items())

    with stripe_local.running(tick_interval=None) as server:
        settings.STRIPE_API_BASES = {"northfield": server.url}
        seeded = seed_finance(tenant=northfield, control=server.control)
        assert seed_finance(tenant=northfield, control=server.control) is None  # once

    assert seeded is not None
    assert (seeded.payouts, seeded.problems) == (1, 1)
    payout = Payout.objects.get(tenant=northfield)
    pages = {path: client.get(path).content.decode() for path in EMPTY}
    for path, empty in EMPTY.items():
        assert empty not in pages[path], path
    assert payout.stripe_id in pages["/console/finance/"]
    assert "Continuing Education" in pages["/console/finance/statements/"]

"""Finance over money that went through payments' own code: checkout, a destination charge to a
connected unit, a multi-unit order with a transfer, partial refunds taking back the units'
shares; then Stripe's payout is imported and reconciled against the ledger payments wrote."""

from __future__ import annotations

from finance.models import BalanceTransaction, MatchState, Payout, PayoutTie
from finance.services.imports import stripe_import
from finance.services.payout_posting import payouts_post
from finance.services.reconcile import reconcile
from tests.payments import conftest as payments
from tests.payments.conftest import Shop
from tests.refunds.helpers import connect, paid_order, request

# The payments harness (its local Stripe has the tenant's webhook secret), not finance's own.
shop = payments.shop
stripe_server = payments.stripe_server
eager_tasks = payments.eager_tasks
DAY = 86_400


def test_payments_and_refunds_of_connected_units_tie_out_to_the_payout(shop: Shop, eager_tasks: None) -> None:
    world = shop.world
    connect(world.a_unit2, "acct_1BusinessSchool1")  # unit 1 stays on the internal ledger
    destination = paid_order(shop, 125000, units=[world.a_unit2])
    split = paid_order(shop, 10000, 25000, units=[world.a_unit1, world.a_unit2])
    request(shop, destination.lines.get(), 62500)
    request(shop, split.lines.get(unit=world.a_unit2), 10000)
    control = shop.server.control
    control.advance_clock(2 * DAY + 1)
    payout = control.trigger_payout("usd")
    control.advance_clock(DAY + 1)

    client = shop.server.client()
    stripe_import(tenant=world.a, client=client, trigger="test")
    payouts_post(tenant=world.a)
    result = reconcile(tenant=world.a)

    unmatched = BalanceTransaction.objects.filter(tenant=world.a).exclude(match=MatchState.MATCHED)
    assert list(unmatched.values_list("type", "match")) == []
    assert result.problems == {}
    assert Payout.objects.get(tenant=world.a, stripe_id=payout["id"]).tie == PayoutTie.TIED

"""Random paid orders, through the real checkout and the local Stripe's fee, always post a
balanced charge whose figures add up: Σ units' gross = what the learner paid, Σ units' fees =
the balance transaction's fee, each unit's fee share within one minor unit of pro rata, and
processor clearing holds the net."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core import jobs
from enrollment import services as enrollment_services
from ledger.models import AccountKind, LedgerEntry, LedgerTransaction
from ledger.selectors import account_balance, unit_figures
from payments.services import checkout, orders
from tests.catalog.factories import OfferingFactory
from tests.factories import UnitFactory, UserFactory
from tests.payments.conftest import Shop

# Each line: (which of three units, price in cents).
lines = st.lists(st.tuples(st.integers(0, 2), st.integers(50, 2_000_000)), min_size=1, max_size=4)


@settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(order_lines=lines)
def test_random_orders_post_balanced_charges_that_add_up(
    shop: Shop, monkeypatch: Any, order_lines: list[tuple[int, int]]
) -> None:
    monkeypatch.setattr(jobs, "enqueue", lambda name, *args, **kwargs: True)  # no follow-up jobs
    with transaction.atomic():
        _example(shop, order_lines)
        transaction.set_rollback(True)


def _example(shop: Shop, order_lines: list[tuple[int, int]]) -> None:
    from payments.services.events import event_apply
    from payments.services.ledger_posting import order_settle

    units = [UnitFactory.create(tenant=shop.tenant) for _ in range(3)]
    learner = UserFactory.create()
    held = []
    for unit_index, price in order_lines:
        offering = OfferingFactory.create(microcredential__unit=units[unit_index], price_minor=price)
        held.append(
            enrollment_services.enrollment_create(
                tenant=shop.tenant, learner=learner, offering_id=offering.pk
            ).enrollment
        )
    start = orders.order_for_holds(tenant=shop.tenant, learner=learner, enrollment_ids=[e.pk for e in held])
    order = checkout.checkout_start(
        order=start.order,
        success_url="http://alpha.test/?s={CHECKOUT_SESSION_ID}",
        cancel_url="http://alpha.test/",
    )
    shop.pay(order)
    from payments.models import StripeEvent

    for event in shop.new_events("checkout.session.completed"):
        shop.delivered.add(event["id"])
        stored = StripeEvent.objects.create(
            tenant=shop.tenant, stripe_id=event["id"], type=event["type"], payload=event
        )
        assert event_apply(event_id=stored.pk)
    assert order_settle(order_id=order.pk)

    order.refresh_from_db()
    charge = LedgerTransaction.objects.get(tenant=shop.tenant, kind="charge", source_ref=order.charge_id)
    entries = list(LedgerEntry.objects.filter(transaction=charge))
    assert sum(e.amount for e in entries) == 0
    fee = shop.server.client().v1.balance_transactions.list(params={"source": order.charge_id}).data[0].fee
    figures = {
        f.unit_id: f for f in unit_figures(tenant=shop.tenant, unit_ids=[u.pk for u in units], currency="USD")
    }
    gross = {u.pk: sum(p for i, p in order_lines if units[i].pk == u.pk) for u in units}
    total = sum(gross.values())
    assert sum(f.gross for f in figures.values()) == total == order.amount_minor
    assert sum(f.fees for f in figures.values()) == fee
    for unit_id, row in figures.items():
        assert row.gross == gross[unit_id]
        assert abs(row.fees * total - fee * gross[unit_id]) < total
        assert row.net == row.gross - row.fees
    clearing = account_balance(tenant=shop.tenant, kind=AccountKind.PROCESSOR_CLEARING, currency="USD")
    assert clearing == total - fee  # each example is rolled back: only this charge is there

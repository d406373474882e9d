"""Paid orders in the ledger (the real fee from the balance transaction, split pro rata to the
units) and money routed to units with their own Stripe account (destination charges, transfers)."""

from __future__ import annotations

from ledger.models import AccountKind, LedgerTransaction
from ledger.selectors import account_balance
from payments.models import Order
from tests.payments.conftest import Shop
from tests.refunds.helpers import connect, figures


def test_a_paid_order_is_posted_with_the_real_fee(shop: Shop, eager_tasks: None) -> None:
    enrollment = shop.hold(shop.offering(price_minor=125000))
    shop.checkout(enrollment)
    order = shop.order_of(enrollment)
    shop.pay(order)
    shop.deliver()

    order.refresh_from_db()
    charge = LedgerTransaction.objects.get(kind="charge")
    balance = shop.server.client().v1.balance_transactions.list(params={"source": order.charge_id}).data[0]
    assert balance.fee == 3655  # 2.9 % of 1,250.00 + 0.30, as the local Stripe charges it
    assert charge.source_ref == order.charge_id
    assert charge.order_ref == order.reference
    assert figures(shop) == {"continuing-ed": (125000, 3655, 0, 121345, 0)}
    assert account_balance(tenant=shop.tenant, kind=AccountKind.PROCESSOR_CLEARING, currency="USD") == 121345
    assert order.settled_at is not None


def test_a_two_unit_order_splits_the_fee_pro_rata(shop: Shop, eager_tasks: None) -> None:
    first = shop.hold(shop.offering(price_minor=10000))
    second = shop.hold(shop.offering(microcredential__unit=shop.world.a_unit2, price_minor=25000))
    shop.checkout(first, second)
    order = shop.order_of(first)
    shop.pay(order)
    shop.deliver()

    # fee 2.9 % of 350.00 + 0.30 = 10.45, split 100:250 → 2.99 and 7.46 (largest remainder)
    assert figures(shop) == {
        "continuing-ed": (10000, 299, 0, 9701, 0),
        "business": (25000, 746, 0, 24254, 0),
    }
    session = shop.server.client().v1.checkout.sessions.retrieve(order.checkout_session_id)
    assert session.payment_intent is not None


def test_a_connected_unit_alone_is_paid_by_destination_charge(shop: Shop, eager_tasks: None) -> None:
    connect(shop.world.a_unit1, "acct_1ContinuingEd01")
    enrollment = shop.hold(shop.offering(price_minor=125000))
    shop.checkout(enrollment)
    order = shop.order_of(enrollment)
    client = shop.server.client()
    session = client.v1.checkout.sessions.retrieve(
        order.checkout_session_id, params={"expand": ["payment_intent"]}
    )
    shop.pay(order)
    shop.deliver()

    order.refresh_from_db()
    intent = client.v1.payment_intents.retrieve(order.payment_intent_id)
    assert intent.transfer_data is not None
    assert intent.transfer_data.destination == "acct_1ContinuingEd01"
    assert intent.application_fee_amount == 3655
    transfer = LedgerTransaction.objects.get(kind="transfer")
    assert transfer.source_ref.startswith("tr_")
    assert figures(shop) == {"continuing-ed": (125000, 3655, 0, 121345, 121345)}
    assert session.id == order.checkout_session_id
    # The routing was set on the checkout itself: the charge's own transfer (no separate one) pays the unit.
    paid = client.v1.checkout.sessions.retrieve(order.checkout_session_id)
    assert paid.payment_intent == order.payment_intent_id
    charge = client.v1.charges.retrieve(order.charge_id)
    assert charge.transfer == transfer.source_ref
    moved = client.v1.transfers.list(params={"destination": "acct_1ContinuingEd01"}).data
    assert [(t.id, t.amount, t.source_transaction) for t in moved] == [
        (transfer.source_ref, 125000, order.charge_id)
    ]


def test_a_multi_unit_order_transfers_each_connected_units_share(shop: Shop, eager_tasks: None) -> None:
    connect(shop.world.a_unit2, "acct_1BusinessSchool1")
    first = shop.hold(shop.offering(price_minor=10000))
    second = shop.hold(shop.offering(microcredential__unit=shop.world.a_unit2, price_minor=25000))
    shop.checkout(first, second)
    order = Order.objects.get(status="open")
    shop.pay(order)
    shop.deliver()
    order.refresh_from_db()

    client = shop.server.client()
    transfers = client.v1.transfers.list(params={"transfer_group": order.transfer_group}).data
    assert [(t.destination, t.amount) for t in transfers] == [("acct_1BusinessSchool1", 25000 - 746)]
    intent = client.v1.payment_intents.retrieve(order.payment_intent_id)
    assert intent.transfer_group == order.transfer_group
    assert intent.transfer_data is None
    assert figures(shop) == {
        "continuing-ed": (10000, 299, 0, 9701, 0),
        "business": (25000, 746, 0, 24254, 24254),
    }
    # The job run again moves nothing twice.
    from payments.services.ledger_posting import order_settle

    Order.objects.filter(pk=order.pk).update(settled_at=None)
    assert order_settle(order_id=order.pk) is True
    assert len(client.v1.transfers.list(params={"transfer_group": order.transfer_group}).data) == 1
    assert LedgerTransaction.objects.filter(kind="transfer").count() == 1


def test_a_late_refund_is_in_the_ledger(shop: Shop, eager_tasks: None) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from enrollment import services as enrollment_services
    from tests.factories import UserFactory

    offering = shop.offering(capacity=1, price_minor=50000)
    enrollment = shop.hold(offering)
    shop.checkout(enrollment)
    order = shop.order_of(enrollment)
    enrollment_services.enrollments_expire_offering(
        tenant=shop.tenant, offering_id=offering.pk, now=timezone.now() + timedelta(hours=2)
    )
    shop.hold(offering, learner=UserFactory.create())
    shop.pay(order)
    shop.deliver()

    refund = LedgerTransaction.objects.get(kind="refund")
    assert refund.source_ref == order.lines.get().refund_id
    # fee of 500.00: 14.50 + 0.30; Stripe keeps it on a refund
    assert figures(shop) == {"continuing-ed": (50000, 1480, 50000, -1480, 0)}

"""Refunds in the ledger: only the refunded line's unit, a connected unit's transfer reversed
for its share (destination charges and multi-unit transfers), a late refund's reversal, and a
hypothesis property over random payments and refunds."""

from __future__ import annotations

import stripe
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.models import AccountKind, LedgerTransaction
from ledger.selectors import account_balance
from payments.models import RefundState
from tests.payments.conftest import Shop
from tests.refunds.helpers import connect, figures, paid_order, request


def test_a_partial_refund_of_a_multi_unit_order_touches_only_its_line(shop: Shop, eager_tasks: None) -> None:
    order = paid_order(shop, 10000, 25000, units=[shop.world.a_unit1, shop.world.a_unit2])
    business_line = order.lines.get(unit=shop.world.a_unit2)
    refund = request(shop, business_line, 5000)

    assert refund.state == RefundState.SUCCEEDED
    assert figures(shop) == {
        "continuing-ed": (10000, 299, 0, 9701, 0),
        "business": (25000, 746, 5000, 19254, 0),
    }
    entry = LedgerTransaction.objects.get(kind="refund").entries.get(account__kind="unit_refunds")
    assert entry.line_ref == business_line.line_ref
    assert account_balance(tenant=shop.tenant, kind=AccountKind.PROCESSOR_CLEARING, currency="USD") == (
        35000 - 1045 - 5000
    )


def test_a_destination_charge_refund_takes_back_the_units_share(shop: Shop, eager_tasks: None) -> None:
    connect(shop.world.a_unit1, "acct_1ContinuingEd01")
    order = paid_order(shop, 125000)
    line = order.lines.get()
    half = request(shop, line, 62500)

    client = shop.server.client()
    stripe_refund = client.v1.refunds.retrieve(half.stripe_refund_id)
    assert stripe_refund.transfer_reversal is not None  # Stripe took it back from the unit's account
    reversal = LedgerTransaction.objects.get(kind="transfer_reversal")
    assert reversal.source_ref == stripe_refund.transfer_reversal
    expanded = client.v1.refunds.retrieve(half.stripe_refund_id, params={"expand": ["transfer_reversal"]})
    taken_back = expanded.transfer_reversal
    assert isinstance(taken_back, stripe.TransferReversal)
    assert taken_back.amount == 62500 == reversal.entries.get(amount__gt=0).amount
    # The unit received 1,250.00 − 36.55 (application fee) and gives back what the learner got
    # back: what was settled to it stays its net (gross − refunds − fees).
    assert figures(shop)["continuing-ed"] == (125000, 3655, 62500, 58845, 58845)
    rest = request(shop, line, 62500)
    assert rest.state == RefundState.SUCCEEDED
    # Refunded in full: the unit is out of pocket by Stripe's fee, which Stripe keeps.
    assert figures(shop)["continuing-ed"] == (125000, 3655, 125000, -3655, -3655)
    assert LedgerTransaction.objects.filter(kind="transfer_reversal").count() == 2


def test_a_multi_unit_refund_reverses_the_connected_units_transfer(shop: Shop, eager_tasks: None) -> None:
    connect(shop.world.a_unit2, "acct_1BusinessSchool1")
    order = paid_order(shop, 10000, 25000, units=[shop.world.a_unit1, shop.world.a_unit2])
    business_line = order.lines.get(unit=shop.world.a_unit2)
    refund = request(shop, business_line, 10000)

    client = shop.server.client()
    (transfer,) = client.v1.transfers.list(params={"transfer_group": order.transfer_group}).data
    reversals = client.v1.transfers.reversals.list(transfer.id).data
    # The unit got 250.00 − 7.46 and gives back the 100.00 the learner got back.
    assert [r.amount for r in reversals] == [10000]
    assert refund.transfer_reversal_id == reversals[0].id
    assert figures(shop)["business"] == (25000, 746, 10000, 14254, 14254)
    assert figures(shop)["continuing-ed"] == (10000, 299, 0, 9701, 0)
    # The ledger job run again reverses nothing twice.
    from payments.models import Refund
    from payments.services.refund_ledger import refund_settle

    Refund.objects.filter(pk=refund.pk).update(settled_at=None)
    assert refund_settle(refund_id=refund.pk) is True
    assert len(client.v1.transfers.reversals.list(transfer.id).data) == 1
    assert LedgerTransaction.objects.filter(kind="transfer_reversal").count() == 1
    rest = request(shop, business_line, 15000)
    assert rest.state == RefundState.SUCCEEDED
    assert figures(shop)["business"][4] == 0


def test_a_late_refund_of_a_destination_charge_reverses_the_transfer(shop: Shop, eager_tasks: None) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from enrollment import services as enrollment_services
    from tests.factories import UserFactory

    connect(shop.world.a_unit1, "acct_1ContinuingEd01")
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

    line = order.lines.get()
    refund = line.refunds.get()
    assert refund.state == RefundState.SUCCEEDED
    assert refund.requested_by_kind == "system"
    assert refund.idempotency_key == f"order:{order.pk}:late-refund:{line.pk}"
    # Refunded in full and taken back in full: the unit bears Stripe's fee, which Stripe keeps,
    # and what was settled to it is its net.
    assert figures(shop)["continuing-ed"][2:] == (50000, -1480, -1480)
    assert LedgerTransaction.objects.filter(kind="transfer_reversal").count() == 1


def test_a_late_refund_that_fails_is_left_for_staff(shop: Shop, eager_tasks: None) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from enrollment import services as enrollment_services
    from payments.models import LineStatus
    from tests.factories import UserFactory

    offering = shop.offering(capacity=1, price_minor=50000)
    enrollment = shop.hold(offering)
    shop.checkout(enrollment)
    order = shop.order_of(enrollment)
    enrollment_services.enrollments_expire_offering(
        tenant=shop.tenant, offering_id=offering.pk, now=timezone.now() + timedelta(hours=2)
    )
    shop.hold(offering, learner=UserFactory.create())
    shop.server.control.add_fault("/v1/refunds", status=400, times=1, method="POST")
    shop.pay(order)
    shop.deliver()

    line = order.lines.get()
    refund = line.refunds.get()
    assert refund.state == RefundState.FAILED
    assert refund.failure_reason
    assert line.status == LineStatus.REFUND_DUE  # not told "refunded"
    assert figures(shop)["continuing-ed"][2] == 0


# ------------------------------------------------------------------------------------ property

steps = st.lists(
    st.one_of(
        st.tuples(st.just("pay"), st.integers(0, 2), st.integers(100, 500_000)),
        st.tuples(st.just("refund"), st.integers(0, 50), st.integers(1, 100)),
    ),
    min_size=1,
    max_size=8,
)


@settings(
    max_examples=12,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(sequence=steps)
def test_per_unit_revenue_less_refunds_is_what_the_ledger_says(
    shop: Shop, eager_tasks: None, sequence: list[tuple[str, int, int]]
) -> None:
    from django.db import transaction

    with transaction.atomic():
        _run(shop, sequence)
        transaction.set_rollback(True)


def _run(shop: Shop, sequence: list[tuple[str, int, int]]) -> None:
    from payments.models import OrderLine
    from payments.selectors import refundable_minor
    from tests.factories import UnitFactory, UserFactory

    units = [shop.world.a_unit1, shop.world.a_unit2, UnitFactory.create(tenant=shop.tenant)]
    paid: dict[int, int] = {u.pk: 0 for u in units}
    refunded: dict[int, int] = {u.pk: 0 for u in units}
    lines: list[OrderLine] = []
    for kind, a, b in sequence:
        if kind == "pay":
            shop.learner = UserFactory.create()
            shop.browser = shop.world.client_for(shop.learner, shop.tenant)
            order = paid_order(shop, b, units=[units[a]])
            lines.append(order.lines.get())
            paid[units[a].pk] += b
        elif lines:
            line = lines[a % len(lines)]
            left = refundable_minor(line)
            if left == 0:
                continue
            amount = max(1, left * b // 100)
            refund = request(shop, line, amount)
            assert refund.state == RefundState.SUCCEEDED
            refunded[line.unit_id] += amount
        ledger = {f[0]: f[1] for f in _by_unit(shop)}
        for unit in units:
            gross, refunds = ledger.get(unit.pk, (0, 0))
            assert (gross, refunds) == (paid[unit.pk], refunded[unit.pk])
            assert gross - refunds == paid[unit.pk] - refunded[unit.pk]


def _by_unit(shop: Shop) -> list[tuple[int, tuple[int, int]]]:
    from ledger.selectors import unit_figures

    return [(f.unit_id, (f.gross, f.refunds)) for f in unit_figures(tenant=shop.tenant, currency="USD")]

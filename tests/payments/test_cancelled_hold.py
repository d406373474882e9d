"""A held seat cancelled while its checkout is open: the Checkout Session is expired at Stripe,
so the cancelled seat can never be paid for; the order's other seats stay held."""

from __future__ import annotations

import pytest

from enrollment import services as enrollment_services
from enrollment.models import EnrollmentStatus
from payments.models import LineStatus, OrderStatus
from stripe_local.client import ControlError
from tests.broker import broker_down
from tests.payments.conftest import Shop


def test_cancelling_a_held_seat_expires_its_open_checkout(shop: Shop, eager_tasks: None) -> None:
    kept = shop.hold(shop.offering(price_minor=40000))
    dropped = shop.hold(shop.offering(price_minor=125000))
    assert shop.checkout(kept, dropped).status_code == 302
    order = shop.order_of(dropped)
    client = shop.server.client()
    assert client.v1.checkout.sessions.retrieve(order.checkout_session_id).status == "open"

    with shop.capture(execute=True):
        enrollment_services.enrollment_cancel(
            tenant=shop.tenant, learner=shop.learner, enrollment_id=dropped.pk
        )

    assert client.v1.checkout.sessions.retrieve(order.checkout_session_id).status == "expired"
    order.refresh_from_db()
    assert order.status == OrderStatus.EXPIRED
    assert order.lines.get(enrollment=dropped).status == LineStatus.RELEASED
    with pytest.raises(ControlError):
        shop.pay(order)  # nobody can pay the closed session any more
    kept.refresh_from_db()
    assert kept.status == EnrollmentStatus.HELD  # the other seat waits for a new checkout

    shop.deliver()  # Stripe's checkout.session.expired changes nothing more
    kept.refresh_from_db()
    assert kept.status == EnrollmentStatus.HELD
    assert shop.checkout(kept).status_code == 302
    assert shop.order_of(kept).pk != order.pk


def test_with_the_broker_down_the_cancellation_still_stands(shop: Shop) -> None:
    held = shop.hold(shop.offering())
    assert shop.checkout(held).status_code == 302

    with broker_down(), shop.capture(execute=True):
        enrollment_services.enrollment_cancel(tenant=shop.tenant, learner=shop.learner, enrollment_id=held.pk)

    held.refresh_from_db()
    assert held.status == EnrollmentStatus.CANCELLED

"""A held seat cancelled while its checkout is open: the Checkout Session is expired at Stripe,
so the cancelled seat can never be paid for; the order's other seats stay held."""

from __future__ import annotations

import pytest

from enrollment import services as enrollment_services
from enrollment.models import Enrollment, EnrollmentStatus
from payments.models import LineStatus, OrderStatus
from stripe_local.client import ControlError
from tests.broker import broker_down
from tests.factories import UserFactory
from tests.payments.conftest import Shop, eager


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
    offering = shop.offering(capacity=1)
    held = shop.hold(offering)
    queued = shop.hold(offering, learner=UserFactory.create())
    assert queued.status == EnrollmentStatus.WAITLISTED
    assert shop.checkout(held).status_code == 302

    with broker_down(), shop.capture(execute=True):
        enrollment_services.enrollment_cancel(tenant=shop.tenant, learner=shop.learner, enrollment_id=held.pk)

    held.refresh_from_db()
    assert held.status == EnrollmentStatus.CANCELLED
    # Nothing closed the checkout yet (the job was never enqueued; the sweep closes it a minute
    # later, next test). Paid before then, as on_hold_cancelled documents, the payment takes the
    # late-payment path: the seat went to the wait-list, so the learner's money goes back.
    order = shop.order_of(held)
    order.refresh_from_db()
    assert order.status == OrderStatus.OPEN
    assert shop.server.client().v1.checkout.sessions.retrieve(order.checkout_session_id).status == "open"
    queued.refresh_from_db()
    assert queued.status == EnrollmentStatus.OFFERED
    with eager():
        shop.pay(order)
        shop.deliver()
    order.refresh_from_db()
    held.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert held.status == EnrollmentStatus.CANCELLED
    line = order.lines.get()
    assert line.status == LineStatus.REFUNDED
    charge = shop.server.client().v1.charges.retrieve(order.charge_id)
    assert (charge.amount_refunded, charge.amount) == (order.amount_minor, order.amount_minor)
    assert not Enrollment.objects.filter(learner=shop.learner, status=EnrollmentStatus.CONFIRMED).exists()


def test_a_checkout_left_open_by_a_broker_outage_is_closed_by_the_sweep(shop: Shop) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from payments import tasks

    held = shop.hold(shop.offering())
    assert shop.checkout(held).status_code == 302
    order = shop.order_of(held)
    with broker_down(), shop.capture(execute=True):
        enrollment_services.enrollment_cancel(tenant=shop.tenant, learner=shop.learner, enrollment_id=held.pk)
    session = shop.server.client().v1.checkout.sessions
    assert session.retrieve(order.checkout_session_id).status == "open"
    Enrollment.objects.filter(pk=held.pk).update(updated_at=timezone.now() - timedelta(minutes=2))

    with eager():
        tasks.payments_sweep()

    assert session.retrieve(order.checkout_session_id).status == "expired"
    order.refresh_from_db()
    assert order.status == OrderStatus.EXPIRED
    assert order.lines.get().status == LineStatus.RELEASED
    with pytest.raises(ControlError):
        shop.pay(order)  # nobody can pay for the cancelled seat any more
    with eager():
        tasks.payments_sweep()  # nothing left to close: no second attempt
    assert session.retrieve(order.checkout_session_id).status == "expired"

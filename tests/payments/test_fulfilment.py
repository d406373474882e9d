"""What each event does: declines, expiry to the wait-list, reverse order, late payments."""

from __future__ import annotations

from datetime import timedelta

from django.core import mail
from django.utils import timezone

from enrollment import services as enrollment_services
from enrollment.models import Enrollment, EnrollmentEvent
from payments.models import LineStatus, OrderEvent, OrderStatus, Refund
from tests.factories import UserFactory
from tests.payments.conftest import Shop


def test_a_declined_card_leaves_the_seat_held_and_the_order_open(shop: Shop, eager_tasks: None) -> None:
    offering = shop.offering(capacity=1)
    enrollment = shop.hold(offering)
    shop.checkout(enrollment)
    order = shop.order_of(enrollment)

    result = shop.pay(order, "4000000000000002")
    shop.deliver()

    assert result["paid"] is False
    enrollment.refresh_from_db()
    order.refresh_from_db()
    offering.refresh_from_db()
    assert enrollment.status == "held"
    assert order.status == OrderStatus.OPEN
    assert offering.seats_taken == 1
    page = shop.browser.get(f"/orders/{order.reference}/").content.decode()
    assert "Processing your payment" in page


def test_an_expired_checkout_frees_the_seat_to_the_wait_list(shop: Shop, eager_tasks: None) -> None:
    offering = shop.offering(capacity=1)
    enrollment = shop.hold(offering)
    waiting = UserFactory.create(email="next@example.com")
    queued = shop.hold(offering, learner=waiting)
    assert queued.status == "waitlisted"
    shop.checkout(enrollment)
    order = shop.order_of(enrollment)

    shop.server.client().v1.checkout.sessions.expire(order.checkout_session_id)
    shop.deliver()

    enrollment.refresh_from_db()
    queued.refresh_from_db()
    order.refresh_from_db()
    assert order.status == OrderStatus.EXPIRED
    assert enrollment.status == "expired"
    assert queued.status == "offered"
    assert EnrollmentEvent.objects.filter(enrollment=enrollment, action="checkout_expired").count() == 1
    assert [m.to for m in mail.outbox if "offered" in m.subject.lower() or "seat" in m.subject.lower()]
    offer_subject = "A seat is free for you: " + offering.microcredential.title
    offers = [m for m in mail.outbox if m.subject.endswith(offer_subject)]
    assert [m.to for m in offers] == [["next@example.com"]]


def test_async_events_in_reverse_order_end_paid(shop: Shop, eager_tasks: None) -> None:
    offering = shop.offering(currency="EUR", price_minor=50000)
    enrollment = shop.hold(offering)
    shop.checkout(enrollment)
    order = shop.order_of(enrollment)
    shop.pay(order, iban="DE89370400440532013000", email="learner@example.com", name="Ada Learner")
    shop.server.control.advance_clock(4 * 60)
    shop.server.control.tick()
    events = shop.new_events("checkout.session.completed", "checkout.session.async_payment_succeeded")
    assert [e["type"] for e in events] == [
        "checkout.session.completed",
        "checkout.session.async_payment_succeeded",
    ]

    for event in reversed(events):
        assert shop.post_event(event).status_code == 200

    order.refresh_from_db()
    enrollment.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert enrollment.status == "confirmed"
    assert list(OrderEvent.objects.filter(order=order).values_list("to_status", flat=True)) == [
        "draft",
        "open",
        "paid",
    ]


def test_async_events_in_order_pass_through_processing(shop: Shop, eager_tasks: None) -> None:
    offering = shop.offering(currency="EUR", price_minor=50000)
    enrollment = shop.hold(offering)
    shop.checkout(enrollment)
    order = shop.order_of(enrollment)
    shop.pay(order, iban="DE62370400440532013001", email="learner@example.com", name="Ada Learner")
    shop.deliver()
    order.refresh_from_db()
    assert order.status == OrderStatus.PROCESSING
    assert "Processing your payment" in shop.browser.get(f"/orders/{order.reference}/").content.decode()

    shop.server.control.advance_clock(4 * 60)
    shop.server.control.tick()
    shop.deliver()

    order.refresh_from_db()
    enrollment.refresh_from_db()
    assert order.status == OrderStatus.FAILED
    assert enrollment.status == "held"  # the learner may pay again while the hold lasts


def _hold_expires_before_payment(shop: Shop, offering, enrollment: Enrollment) -> None:
    later = timezone.now() + timedelta(hours=2)
    enrollment_services.enrollments_expire_offering(tenant=shop.tenant, offering_id=offering.pk, now=later)
    enrollment.refresh_from_db()
    assert enrollment.status == "expired"


def test_a_late_payment_retakes_a_free_seat(shop: Shop, eager_tasks: None) -> None:
    offering = shop.offering(capacity=1)
    enrollment = shop.hold(offering)
    shop.checkout(enrollment)
    order = shop.order_of(enrollment)
    _hold_expires_before_payment(shop, offering, enrollment)

    shop.pay(order)
    shop.deliver()

    order.refresh_from_db()
    offering.refresh_from_db()
    seat = Enrollment.objects.get(offering=offering, learner=shop.learner, status="confirmed")
    assert order.status == OrderStatus.PAID
    assert order.lines.get().status == LineStatus.CONFIRMED
    assert order.lines.get().seat_enrollment == seat
    assert offering.seats_taken == 1
    assert seat.events.get().action == "paid_late"
    refunds = shop.server.client().v1.refunds.list(params={"payment_intent": order.payment_intent_id})
    assert refunds.data == []


def test_a_late_payment_with_no_seat_left_is_refunded_and_the_learner_told(
    shop: Shop, eager_tasks: None
) -> None:
    offering = shop.offering(capacity=1)
    enrollment = shop.hold(offering)
    shop.checkout(enrollment)
    order = shop.order_of(enrollment)
    _hold_expires_before_payment(shop, offering, enrollment)
    someone = UserFactory.create(email="quicker@example.com")
    assert shop.hold(offering, learner=someone).status == "held"

    shop.pay(order)
    shop.deliver()

    order.refresh_from_db()
    line = order.lines.get()
    assert order.status == OrderStatus.PAID
    assert line.status == LineStatus.REFUNDED
    refund = shop.server.client().v1.refunds.retrieve(line.refund_id)
    assert refund.amount == 125000
    assert refund.status == "succeeded"
    assert not Enrollment.objects.filter(offering=offering, learner=shop.learner, status="confirmed").exists()
    told = [m for m in mail.outbox if m.to == [shop.learner.email] and "Refunded" in m.subject]
    assert len(told) == 1
    # Carried out once: one refund row, one attempt at Stripe (not the job and the notice both).
    assert list(Refund.objects.filter(line=line).values_list("attempts", "state")) == [(1, "succeeded")]
    page = shop.browser.get(f"/orders/{order.reference}/").content.decode()
    assert "Payment received, and refunded" in page
    assert "refunded in full" in page
    # A second run of the refund job refunds nothing more.
    from payments.services.settlement import line_late_refund

    line_late_refund(line_id=line.pk)
    assert (
        len(shop.server.client().v1.refunds.list(params={"payment_intent": order.payment_intent_id}).data)
        == 1
    )

"""Stripe failing when a checkout starts; holds too short for Stripe's 30 minutes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from enrollment.models import Enrollment, EnrollmentEvent
from payments.models import Order, OrderStatus
from tests.payments.conftest import Shop


@pytest.mark.parametrize(("status", "times"), [(500, 3), (429, 1)])
def test_stripe_failing_says_try_again_and_leaves_nothing_stray(shop: Shop, status: int, times: int) -> None:
    offering = shop.offering(capacity=3)
    enrollment = shop.hold(offering)
    shop.server.control.add_fault("/v1/checkout/sessions", status=status, times=times, method="POST")

    response = shop.checkout(enrollment)

    assert response.status_code == 503
    page = response.content.decode()
    assert "Try again" in page
    assert "Nothing was charged" in page
    offering.refresh_from_db()
    assert offering.seats_taken == 1
    assert list(Enrollment.objects.filter(learner=shop.learner).values_list("status", flat=True)) == ["held"]
    order = Order.objects.get()
    assert order.status == OrderStatus.DRAFT
    assert shop.server.client().v1.checkout.sessions.list().data == []
    draft_page = shop.browser.get(f"/orders/{order.reference}/").content.decode()
    assert "Payment could not start" in draft_page
    assert 'http-equiv="refresh"' not in draft_page

    retry = shop.checkout(enrollment)

    assert retry.status_code == 302
    assert Order.objects.get().pk == order.pk  # the same order, now open
    order.refresh_from_db()
    assert order.status == OrderStatus.OPEN
    assert retry["Location"] == order.checkout_url
    assert len(shop.server.client().v1.checkout.sessions.list().data) == 1
    offering.refresh_from_db()
    assert offering.seats_taken == 1


def test_a_lost_answer_is_found_again_by_the_idempotency_key(shop: Shop) -> None:
    enrollment = shop.hold(shop.offering())
    # Stripe makes the session, then the answer is lost (the SDK retries with the same key).
    shop.server.control.add_fault("/v1/checkout/sessions", status=500, times=1, method="POST", after=True)

    response = shop.checkout(enrollment)

    assert response.status_code == 302
    assert len(shop.server.client().v1.checkout.sessions.list().data) == 1


def test_a_short_hold_is_extended_once_for_checkout(shop: Shop) -> None:
    offering = shop.offering(seat_hold_minutes=30)
    enrollment = shop.hold(offering)
    Enrollment.objects.filter(pk=enrollment.pk).update(hold_expires_at=timezone.now() + timedelta(minutes=10))

    shop.checkout(enrollment)

    enrollment.refresh_from_db()
    order = shop.order_of(enrollment)
    assert enrollment.hold_expires_at is not None
    left = enrollment.hold_expires_at - timezone.now()
    assert timedelta(minutes=34) < left <= timedelta(minutes=35)
    assert order.checkout_expires_at == enrollment.hold_expires_at
    assert (
        EnrollmentEvent.objects.filter(enrollment=enrollment, action="hold_extended_for_checkout").count()
        == 1
    )

    # Later, with too little time left again, a new checkout cannot extend it a second time.
    Enrollment.objects.filter(pk=enrollment.pk).update(hold_expires_at=timezone.now() + timedelta(minutes=5))
    Order.objects.filter(pk=order.pk).update(checkout_expires_at=timezone.now() + timedelta(seconds=30))
    response = shop.checkout(enrollment)
    assert response.status_code == 302
    assert response["Location"] == "/my/learning/"
    messages = [str(m) for m in response.wsgi_request._messages]
    assert messages == ["Too little time is left on this hold to pay, and it was extended once already."]
    enrollment.refresh_from_db()
    assert enrollment.hold_expires_at - timezone.now() < timedelta(minutes=6)


def test_pay_for_all_held_seats_in_one_order_across_units(shop: Shop) -> None:
    first = shop.hold(shop.offering(price_minor=10000))
    second = shop.hold(shop.offering(microcredential__unit=shop.world.a_unit2, price_minor=25000))
    page = shop.browser.get("/my/learning/").content.decode()
    assert "Pay for all 2 held seats" in page

    shop.checkout(first)  # paid for one first, then for both: the first checkout is replaced
    single = shop.order_of(first)
    response = shop.checkout(first, second)

    both = shop.order_of(second)
    assert response.status_code == 302
    single.refresh_from_db()
    assert single.status == OrderStatus.EXPIRED
    assert both.amount_minor == 35000
    assert sorted(both.lines.values_list("unit__slug", "amount_minor")) == [
        ("business", 25000),
        ("continuing-ed", 10000),
    ]
    client = shop.server.client()
    assert client.v1.checkout.sessions.retrieve(single.checkout_session_id).status == "expired"
    assert client.v1.checkout.sessions.retrieve(both.checkout_session_id).amount_total == 35000


def test_another_learners_or_tenants_enrollment_is_a_404(shop: Shop) -> None:
    from tests.factories import UserFactory

    other = UserFactory.create()
    theirs = shop.hold(shop.offering(), learner=other)
    assert shop.checkout(theirs).status_code == 404
    mine = shop.hold(shop.offering())
    beta = shop.world.client_for(shop.learner, shop.world.b)
    assert shop.checkout(mine, client=beta).status_code == 404
    assert Order.objects.count() == 0


def test_stripe_timing_out_says_try_again(shop: Shop, settings: Any) -> None:
    settings.STRIPE_TIMEOUT_SECONDS = 1
    enrollment = shop.hold(shop.offering())
    shop.server.control.add_fault("/v1/checkout/sessions", status=None, delay_ms=1500, times=3, method="POST")

    response = shop.checkout(enrollment)

    assert response.status_code == 503
    assert "did not answer just now" in response.content.decode()
    assert Order.objects.get().status == OrderStatus.DRAFT
    enrollment.refresh_from_db()
    assert enrollment.status == "held"

"""A learner pays for held seats through Stripe Checkout (the real SDK, the local Stripe)."""

from __future__ import annotations

import re
from typing import Any

from django.core import mail

from enrollment.models import EnrollmentEvent
from payments.models import Order, OrderStatus
from tests.factories import UserFactory
from tests.payments.conftest import Shop


def test_paid_enrollment_end_to_end(shop: Shop, eager_tasks: None) -> None:
    offering = shop.offering(microcredential__title="Python for Data Analysis")
    enrollment = shop.hold(offering)

    response = shop.checkout(enrollment)

    order = shop.order_of(enrollment)
    assert response.status_code == 302
    assert response["Location"] == order.checkout_url
    assert order.status == OrderStatus.OPEN
    session = shop.server.client().v1.checkout.sessions.retrieve(order.checkout_session_id)
    assert session.client_reference_id == order.reference
    assert session.metadata is not None
    assert session.metadata["order_reference"] == order.reference
    assert session.amount_total == 125000
    assert session.expires_at == int(order.checkout_expires_at.timestamp())

    page = shop.browser.get(f"/orders/{order.reference}/")
    assert "Processing your payment" in page.content.decode()
    assert '<meta http-equiv="refresh" content="3">' in page.content.decode()  # works without scripts
    assert shop.browser.get(f"/orders/{order.reference}/status.json").json() == {
        "reference": order.reference,
        "status": "open",
    }

    assert shop.pay(order)["paid"] is True
    shop.deliver()

    order.refresh_from_db()
    enrollment.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert enrollment.status == "confirmed"
    assert order.payment_intent_id.startswith("pi_")
    confirmation = shop.browser.get(f"/orders/{order.reference}/").content.decode()
    assert "Payment received: you are enrolled" in confirmation
    assert 'http-equiv="refresh"' not in confirmation
    receipt = shop.browser.get(f"/orders/{order.reference}/receipt/").content.decode()
    assert "Alpha University" in receipt
    assert "Alpha Continuing Ed" in receipt
    assert "$1,250.00" in receipt
    assert order.payment_intent_id in receipt
    receipts = [m for m in mail.outbox if "receipt" in m.subject.lower()]
    assert len(receipts) == 1
    assert receipts[0].subject.startswith("[Alpha Continuing Ed]")
    assert receipts[0].to == [shop.learner.email]
    assert EnrollmentEvent.objects.filter(enrollment=enrollment, action="paid").count() == 1


def test_a_second_click_reuses_the_open_checkout(shop: Shop) -> None:
    enrollment = shop.hold(shop.offering())
    first = shop.checkout(enrollment)
    second = shop.checkout(enrollment)
    assert first["Location"] == second["Location"]
    assert Order.objects.count() == 1
    assert shop.server.control.requests_to("POST", "/v1/checkout/sessions") == 1


def test_the_offering_page_offers_to_pay_for_a_held_seat(shop: Shop) -> None:
    offering = shop.offering()
    enrollment = shop.hold(offering)
    for url in (f"/offerings/{offering.pk}/", f"/offerings/{offering.pk}/enroll/", "/my/learning/"):
        page = shop.browser.get(url).content.decode()
        assert 'action="/orders/checkout/"' in page, url
        assert f'name="enrollment" value="{enrollment.pk}"' in page, url


def test_orders_are_in_the_data_export_and_kept_anonymously_on_deletion(shop: Shop) -> None:
    from payments import personal_data

    enrollment = shop.hold(shop.offering())
    shop.checkout(enrollment)
    order = shop.order_of(enrollment)
    (exported,) = personal_data.export(shop.learner)
    assert exported["reference"] == order.reference
    assert exported["email"] == shop.learner.email
    personal_data.erase(shop.learner, "deleted-123")
    order.refresh_from_db()
    assert order.email == "deleted-123@erased.invalid"
    assert order.amount_minor == 125000


def test_each_line_keeps_the_refund_policy_in_force_at_purchase(shop: Shop) -> None:
    from tests.catalog.factories import RefundPolicyFactory

    policy = RefundPolicyFactory.create(unit=shop.world.a_unit1, name="Generous", tiers=[(14, 100), (3, 50)])
    enrollment = shop.hold(shop.offering(refund_policy=policy))
    shop.checkout(enrollment)
    snapshot = shop.order_of(enrollment).lines.get().refund_policy
    assert snapshot["policy_name"] == "Generous"
    assert snapshot["tiers"] == [
        {"days_before_start": 14, "refund_percent": 100},
        {"days_before_start": 3, "refund_percent": 50},
    ]


def _to_the_end(client: Any, response: Any) -> Any:
    """Follow redirects inside the site; stop at the first one that leaves it (the local Stripe)."""
    while response.status_code == 302 and response["Location"].startswith("/"):
        response = client.get(response["Location"])
    return response


def _pay_on_review(client: Any, review: Any) -> Any:
    """Press "Pay" on the review page the learner landed on."""
    assert review.status_code == 200
    page = review.content.decode()
    assert "Review and pay" in page
    ids = re.findall(r'name="enrollment" value="(\d+)"', page)
    return client.post("/orders/checkout/", {"enrollment": ids, "action": "pay", "code": ""})


def test_hold_my_seat_on_a_paid_offering_goes_on_to_review_then_checkout(shop: Shop) -> None:
    offering = shop.offering()
    response = shop.browser.post(f"/offerings/{offering.pk}/enroll/", {"idempotency_key": "k1"})
    review = _to_the_end(shop.browser, response)
    assert not Order.objects.exists()  # reviewing changes nothing
    response = _pay_on_review(shop.browser, review)
    order = Order.objects.get()
    assert response.status_code == 302
    assert response["Location"] == order.checkout_url


def test_accepting_an_offer_for_a_paid_seat_goes_on_to_review_then_checkout(shop: Shop) -> None:
    from enrollment.services.changes import enrollment_cancel
    from enrollment.services.messages import offer_token

    offering = shop.offering(capacity=1)
    other = UserFactory.create(email="first@example.com")
    first = shop.hold(offering, learner=other)
    queued = shop.hold(offering)
    assert queued.status == "waitlisted"
    enrollment_cancel(tenant=shop.tenant, learner=other, enrollment_id=first.pk)
    queued.refresh_from_db()
    assert queued.status == "offered"
    token = offer_token(queued)

    response = shop.browser.post(f"/offers/{token}/", {"action": "accept"})
    response = _pay_on_review(shop.browser, _to_the_end(shop.browser, response))

    order = shop.order_of(queued)
    assert response.status_code == 302
    assert response["Location"] == order.checkout_url
    page = shop.browser.get(f"/offers/{token}/").content.decode()
    assert 'action="/orders/checkout/"' in page
    assert f'name="enrollment" value="{queued.pk}"' in page

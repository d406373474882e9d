"""The orders API: start checkout, follow the order, the schema, isolation."""

from __future__ import annotations

from typing import Any

from payments.models import Order
from tests.payments.conftest import Shop


def test_a_learner_starts_checkout_through_the_api(shop: Shop) -> None:
    enrollment = shop.hold(shop.offering(price_minor=9900))

    response = shop.browser.post(
        "/api/v1/orders/", {"enrollments": [enrollment.pk]}, content_type="application/json"
    )

    assert response.status_code == 201
    body: dict[str, Any] = response.json()
    order = Order.objects.get()
    assert body["reference"] == order.reference
    assert body["status"] == "open"
    assert body["amount_minor"] == 9900
    assert body["checkout_url"] == order.checkout_url
    assert body["lines"][0]["enrollment"] == enrollment.pk
    assert shop.browser.get(f"/api/v1/orders/{order.reference}/").json()["status"] == "open"
    assert [o["reference"] for o in shop.browser.get("/api/v1/orders/").json()["results"]] == [
        order.reference
    ]


def test_stripe_down_is_a_503_with_the_error_shape(shop: Shop) -> None:
    enrollment = shop.hold(shop.offering())
    shop.server.control.add_fault("/v1/checkout/sessions", status=500, times=3, method="POST")
    response = shop.browser.post(
        "/api/v1/orders/", {"enrollments": [enrollment.pk]}, content_type="application/json"
    )
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "payment_unavailable"


def test_refusals_and_isolation(shop: Shop) -> None:
    confirmed_free = shop.hold(shop.offering(price_minor=0))
    response = shop.browser.post(
        "/api/v1/orders/", {"enrollments": [confirmed_free.pk]}, content_type="application/json"
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "checkout_refused"
    mine = shop.hold(shop.offering())
    beta = shop.world.client_for(shop.learner, shop.world.b)
    assert (
        beta.post("/api/v1/orders/", {"enrollments": [mine.pk]}, content_type="application/json").status_code
        == 404
    )
    shop.browser.post("/api/v1/orders/", {"enrollments": [mine.pk]}, content_type="application/json")
    reference = Order.objects.get().reference
    assert beta.get(f"/api/v1/orders/{reference}/").status_code == 404
    assert (
        shop.browser.post("/api/v1/orders/", {"enrollments": []}, content_type="application/json").status_code
        == 400
    )


def test_the_schema_lists_the_orders_endpoints(shop: Shop) -> None:
    schema = shop.browser.get("/api/v1/schema/?format=json").json()
    assert {"get", "post"} <= set(schema["paths"]["/api/v1/orders/"])
    assert "get" in schema["paths"]["/api/v1/orders/{reference}/"]

"""A double submit of checkout (the page's button pressed twice, an API client retrying) makes one
order and one Stripe Checkout session: ten copies raced on their own connections get the same
open order. The API honours `Idempotency-Key` as the other money POSTs do."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from payments.models import LIVE_ORDER_STATES, Order
from tests.payments.conftest import Shop

pytestmark = pytest.mark.django_db(transaction=True)
COPIES = 10


def _race(shop: Shop, send: Callable[[Client], Any]) -> list[Any]:
    barrier = threading.Barrier(COPIES)
    answers: list[Any] = []
    lock = threading.Lock()

    def post() -> None:
        client = shop.world.client_for(shop.learner, shop.tenant)
        try:
            barrier.wait(20)
            answer = send(client)
            with lock:
                answers.append(answer)
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(COPIES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return answers


def _sessions_at_stripe(shop: Shop) -> int:
    return len(list(shop.server.client().v1.checkout.sessions.list(params={"limit": 100}).auto_paging_iter()))


def test_ten_raced_api_order_starts_with_one_key_make_one_order(shop: Shop, eager_tasks: None) -> None:
    enrollment = shop.hold(shop.offering(price_minor=9900))
    answers = _race(
        shop,
        lambda client: client.post(
            "/api/v1/orders/",
            {"enrollments": [enrollment.pk]},
            content_type="application/json",
            HTTP_IDEMPOTENCY_KEY="order-1",
        ),
    )
    assert [a.status_code for a in answers] == [201] * COPIES, [a.content for a in answers]
    assert len({a.json()["reference"] for a in answers}) == 1
    assert sum(a.get("Idempotent-Replayed") == "true" for a in answers) == COPIES - 1
    assert Order.objects.count() == 1
    assert _sessions_at_stripe(shop) == 1

    other = shop.browser.post(
        "/api/v1/orders/",
        {"enrollments": [enrollment.pk, enrollment.pk + 1000]},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="order-1",
    )
    assert other.status_code == 422
    assert other.json()["error"]["code"] == "idempotency_key_reused"


def test_ten_raced_api_order_starts_without_a_key_share_one_open_order(shop: Shop, eager_tasks: None) -> None:
    enrollment = shop.hold(shop.offering(price_minor=9900))
    answers = _race(
        shop,
        lambda client: client.post(
            "/api/v1/orders/", {"enrollments": [enrollment.pk]}, content_type="application/json"
        ),
    )
    assert [a.status_code for a in answers] == [201] * COPIES, [a.content for a in answers]
    assert len({a.json()["reference"] for a in answers}) == 1
    assert Order.objects.count() == 1
    assert _sessions_at_stripe(shop) == 1


def test_a_checkout_button_pressed_ten_times_at_once_opens_one(shop: Shop, eager_tasks: None) -> None:
    enrollment = shop.hold(shop.offering(price_minor=9900))
    answers = _race(shop, lambda client: client.post("/orders/checkout/", {"enrollment": [enrollment.pk]}))
    assert [a.status_code for a in answers] == [302] * COPIES
    live = Order.objects.filter(status__in=sorted(LIVE_ORDER_STATES))
    assert live.count() == 1
    assert Order.objects.count() == 1
    assert {a["Location"] for a in answers} == {live.get().checkout_url}
    assert _sessions_at_stripe(shop) == 1


def test_stripe_is_asked_after_the_keyed_order_start_committed_and_holds_no_lock(
    shop: Shop, eager_tasks: None
) -> None:
    """While Stripe takes its time making the session, the order is already committed (another
    connection sees it) and no lock of the start is held: a slow Stripe blocks nobody."""
    enrollment = shop.hold(shop.offering(price_minor=9900))
    shop.server.control.add_fault("/v1/checkout/sessions", status=None, delay_ms=2000, method="POST")
    answers: list[Any] = []

    def post() -> None:
        try:
            answers.append(
                shop.world.client_for(shop.learner, shop.tenant).post(
                    "/api/v1/orders/",
                    {"enrollments": [enrollment.pk]},
                    content_type="application/json",
                    HTTP_IDEMPOTENCY_KEY="slow-1",
                )
            )
        finally:
            connection.close()

    request = threading.Thread(target=post)
    request.start()
    seen_during_stripe = False
    advisory_locks = None
    for _ in range(150):
        if Order.objects.exists():
            seen_during_stripe = request.is_alive()
            with connection.cursor() as cursor:
                cursor.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'")
                (advisory_locks,) = cursor.fetchone()
            break
        threading.Event().wait(0.01)
    request.join(30)

    assert seen_during_stripe, "the order became visible only after Stripe had answered"
    assert advisory_locks == 0
    assert [a.status_code for a in answers] == [201]
    assert answers[0].json()["checkout_url"]

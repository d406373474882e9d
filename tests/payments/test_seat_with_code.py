"""One call takes a seat with a code: held and ordered together, or neither. Racing learners on
their own connections never use a code beyond its cap, and a refused one keeps no seat."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection

from enrollment.models import Enrollment
from payments.models import Order, OrderStatus
from promotions.models import PromotionCode
from tests.factories import UserFactory
from tests.payments.conftest import Shop


def _post(client: Any, offering: int, code: str, key: str = "") -> Any:
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post(
        "/api/v1/orders/seat-with-code/",
        {"offering": offering, "code": code},
        content_type="application/json",
        **headers,
    )


def test_a_full_waiver_code_confirms_the_seat_in_one_call(shop: Shop, eager_tasks: None) -> None:
    PromotionCode.objects.create(
        tenant=shop.tenant,
        code="FREE",
        kind="percent",
        percent_off=100,
        waives_fee=True,
        description="Open day",
    )
    offering = shop.offering(price_minor=20000)
    with shop.capture(execute=True):
        answer = _post(shop.browser, offering.pk, "free", key="k-1")
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert (body["status"], body["amount_minor"], body["discount_minor"]) == ("paid", 0, 20000)
    assert Enrollment.objects.get(learner=shop.learner).status == "confirmed"
    again = _post(shop.browser, offering.pk, "free", key="k-1")
    assert again.json()["reference"] == body["reference"]
    assert again["Idempotent-Replayed"] == "true"


def test_a_partial_code_answers_with_the_checkout_at_the_reduced_price(shop: Shop) -> None:
    PromotionCode.objects.create(tenant=shop.tenant, code="HALF", kind="percent", percent_off=50)
    offering = shop.offering(price_minor=20000)
    answer = _post(shop.browser, offering.pk, "HALF")
    assert answer.status_code == 201
    body = answer.json()
    assert body["status"] == "open"
    assert body["amount_minor"] == 10000
    assert body["checkout_url"].startswith("http")


@pytest.mark.parametrize(("code", "status"), [("NOPE", 400), ("", 400)])
def test_a_refused_code_keeps_no_seat(shop: Shop, code: str, status: int) -> None:
    offering = shop.offering(price_minor=20000)
    answer = _post(shop.browser, offering.pk, code)
    assert answer.status_code == status
    assert not Enrollment.objects.exists()
    offering.refresh_from_db()
    assert offering.seats_taken == 0


@pytest.mark.django_db(transaction=True)
def test_racing_learners_never_use_a_code_beyond_its_cap(shop: Shop, eager_tasks: None) -> None:
    PromotionCode.objects.create(
        tenant=shop.tenant, code="FIVE", kind="percent", percent_off=100, max_uses=5, description="Bursary"
    )
    offering = shop.offering(price_minor=20000, capacity=10)
    learners = [UserFactory.create(email=f"r{n}@example.test") for n in range(12)]
    barrier = threading.Barrier(len(learners))
    statuses: list[int] = []
    guard = threading.Lock()

    def race(learner: Any) -> None:
        client = shop.world.client_for(learner, shop.tenant)
        try:
            barrier.wait(20)
            answer = _post(client, offering.pk, "FIVE")
            with guard:
                statuses.append(answer.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=race, args=(learner,)) for learner in learners]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert sorted(statuses) == [201] * 5 + [400] * 7
    assert Order.objects.filter(promotion_code__code="FIVE", status=OrderStatus.PAID).count() == 5
    offering.refresh_from_db()
    assert offering.seats_taken == 5  # the refused kept no hold
    assert Enrollment.objects.filter(status="confirmed").count() == 5

"""A webhook storm: 1,000+ events, each delivered twice at once by 8 threads through the
webhook, then applied by 8 threads that each try every event — real parallel PostgreSQL
connections (transactional database). Every event must be applied exactly once.

Why this proves it: applying an event locks its stored row, checks `applied_at`, runs the
handlers and sets `applied_at` (and `attempts` + 1) in one transaction. If two appliers could
both apply one event, its `attempts` would be 2 and its order would have two `paid` events and
two follow-up runs; the test counts all three, for every event, under 8-way contention.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from typing import Any

import pytest
from django.db import close_old_connections, connection
from django.test import Client

from catalog.models import Offering
from core import jobs
from enrollment import services as enrollment_services
from enrollment.models import EnrollmentEvent
from enrollment.services import messages
from payments.models import Order, OrderEvent, StripeEvent
from payments.services import checkout, orders
from payments.services import events as event_services
from tests.factories import UserFactory
from tests.payments.conftest import Shop

pytestmark = pytest.mark.django_db(transaction=True)
ORDERS = 250  # 4 events each (session, payment intent ×2, charge): 1,000
THREADS = 8


def _in_threads(work: list[Any], job: Any) -> list[BaseException]:
    pending = list(work)
    lock = threading.Lock()
    errors: list[BaseException] = []
    start = threading.Barrier(THREADS)

    def worker() -> None:
        try:
            start.wait(10)
            while True:
                with lock:
                    if not pending:
                        return
                    item = pending.pop()
                try:
                    job(item)
                except BaseException as exc:  # noqa: BLE001 - the test reports every failure
                    errors.append(exc)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(300)
    return errors


def test_a_storm_of_events_is_applied_exactly_once_each(shop: Shop, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(messages, "enqueue_after_commit", lambda task, message_id: None)
    follow_ups: Counter[int] = Counter()
    follow_lock = threading.Lock()

    def count_follow_ups(name: str, *args: Any, **kwargs: Any) -> bool:
        """The jobs are not run (the test applies the events itself); an order's follow-ups are
        counted by its receipt's job."""
        if name == "payments.send_receipt":
            with follow_lock:
                follow_ups[args[0]] += 1
        return True

    monkeypatch.setattr(jobs, "enqueue", count_follow_ups)
    offering = shop.offering(capacity=ORDERS, price_minor=4900)
    for n in range(ORDERS):
        learner = UserFactory.create(email=f"storm{n}@example.com")
        held = enrollment_services.enrollment_create(
            tenant=shop.tenant, learner=learner, offering_id=offering.pk
        )
        start = orders.order_for_holds(
            tenant=shop.tenant, learner=learner, enrollment_ids=[held.enrollment.pk]
        )
        order = checkout.checkout_start(
            order=start.order,
            success_url="http://alpha.test/done?s={CHECKOUT_SESSION_ID}",
            cancel_url="http://alpha.test/",
        )
        shop.pay(order)
    events = shop.new_events()
    assert len(events) >= 1000
    deliveries = [e for e in events for _ in range(2)]
    random.Random(6).shuffle(deliveries)  # noqa: S311 - a reproducible order, not a secret

    answers: Counter[int] = Counter()

    def deliver(event: dict[str, Any]) -> None:
        import json

        import stripe

        payload = json.dumps(event)
        header = stripe.WebhookSignature.generate_signature_header(
            payload, "whsec_alpha_tests_0123456789abcdef"
        )
        response = Client(HTTP_HOST="alpha.test").post(
            "/payments/stripe/webhook/",
            payload,
            content_type="application/json",
            HTTP_STRIPE_SIGNATURE=header,
        )
        answers[response.status_code] += 1

    assert _in_threads(deliveries, deliver) == []
    assert answers == {200: len(deliveries)}
    assert StripeEvent.objects.count() == len(events)

    ids = list(StripeEvent.objects.values_list("pk", flat=True))
    attempts = [pk for pk in ids for _ in range(THREADS)]
    random.Random(7).shuffle(attempts)  # noqa: S311 - a reproducible order, not a secret
    applied: Counter[bool] = Counter()

    def apply(pk: int) -> None:
        applied[event_services.event_apply(event_id=pk)] += 1

    assert _in_threads(attempts, apply) == []

    assert applied[True] == len(events)
    assert set(StripeEvent.objects.values_list("attempts", flat=True)) == {1}
    assert not StripeEvent.objects.filter(applied_at__isnull=True).exists()
    paid = Counter(OrderEvent.objects.filter(action="paid").values_list("order_id", flat=True))
    assert len(paid) == ORDERS
    assert set(paid.values()) == {1}
    assert set(follow_ups.values()) == {1}
    assert len(follow_ups) == ORDERS
    assert Order.objects.filter(status="paid").count() == ORDERS
    confirmations = Counter(
        EnrollmentEvent.objects.filter(action="paid").values_list("enrollment_id", flat=True)
    )
    assert len(confirmations) == ORDERS
    assert set(confirmations.values()) == {1}
    offering = Offering.objects.get(pk=offering.pk)
    assert offering.seats_taken == ORDERS

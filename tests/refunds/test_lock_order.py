"""Payment events and staff refunds of one tenant, at once on their own connections: none
deadlocks (each locks only its own rows, not the tenant's), every request succeeds."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
import stripe
from django.db import connection
from django.test import Client

from payments.models import Refund, StripeEvent
from tests.payments.conftest import WHSEC_A, Shop
from tests.refunds.helpers import paid_order, request

pytestmark = pytest.mark.django_db(transaction=True)


def test_events_and_refunds_of_one_tenant_race_without_deadlock(shop: Shop, eager_tasks: None) -> None:
    order = paid_order(shop, *([10000] * 6))
    lines = list(order.lines.order_by("pk"))
    for line in lines[:3]:
        request(shop, line, 1000)
    events = shop.new_events()  # what Stripe sent about those refunds, not yet delivered
    assert events
    world = shop.world
    jobs: list[Any] = []

    def deliver(event: dict[str, Any]) -> Any:
        payload = json.dumps(event)
        header = stripe.WebhookSignature.generate_signature_header(payload, WHSEC_A)
        return Client(HTTP_HOST="alpha.test").post(
            "/payments/stripe/webhook/",
            payload,
            content_type="application/json",
            HTTP_STRIPE_SIGNATURE=header,
        )

    def refund(line_id: int) -> Any:
        client = world.client_for(world.a_unit1_admin, shop.tenant)
        return client.post(
            "/api/v1/refunds/",
            {"line": line_id, "amount_minor": 500, "reason": "Race"},
            content_type="application/json",
        )

    jobs += [lambda e=e: deliver(e) for e in events]
    jobs += [lambda pk=line.pk: refund(pk) for line in lines for _ in range(2)]
    barrier = threading.Barrier(len(jobs))
    outcomes: list[Any] = []
    lock = threading.Lock()

    def run(job: Any) -> None:
        try:
            barrier.wait(30)
            result: Any = job().status_code
        except Exception as exc:  # noqa: BLE001 - a deadlock is what is looked for
            result = repr(exc)
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)

    assert sorted(outcomes, key=str) == sorted([200] * len(events) + [201] * 12, key=str), outcomes
    assert StripeEvent.objects.filter(applied_at__isnull=True).count() == 0
    assert Refund.objects.filter(line__order=order).count() == 3 + 12

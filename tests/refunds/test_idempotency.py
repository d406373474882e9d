"""`Idempotency-Key` on the money-moving POSTs: ten copies of one refund request, raced on their
own connections, make one refund (at Stripe and in the ledger); a replay says so; another body
under the key is refused."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection

from ledger.models import LedgerTransaction
from payments.models import Refund
from tests.payments.conftest import Shop
from tests.refunds.helpers import paid_order

pytestmark = pytest.mark.django_db(transaction=True)
COPIES = 10


def test_ten_raced_copies_of_one_refund_request_refund_once(shop: Shop, eager_tasks: None) -> None:
    order = paid_order(shop, 10000)
    line = order.lines.get()
    world = shop.world
    body = {"line": line.pk, "amount_minor": 1000, "reason": "Asked by phone"}
    barrier = threading.Barrier(COPIES)
    answers: list[Any] = []
    lock = threading.Lock()

    def post() -> None:
        client = world.client_for(world.a_unit1_admin, shop.tenant)
        try:
            barrier.wait(20)
            answer = client.post(
                "/api/v1/refunds/", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-1"
            )
            with lock:
                answers.append(answer)
        finally:
            connection.close()

    ledger_before = LedgerTransaction.objects.count()
    threads = [threading.Thread(target=post) for _ in range(COPIES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)

    assert [a.status_code for a in answers] == [201] * COPIES, [a.content for a in answers]
    assert len({a.json()["id"] for a in answers}) == 1
    assert sum(a.get("Idempotent-Replayed") == "true" for a in answers) == COPIES - 1
    assert Refund.objects.filter(line=line).count() == 1
    at_stripe = list(shop.server.client().v1.refunds.list(params={"limit": 100}).auto_paging_iter())
    assert len(at_stripe) == 1
    assert LedgerTransaction.objects.count() == ledger_before + 1

    admin = world.client_for(world.a_unit1_admin, shop.tenant)
    other = admin.post(
        "/api/v1/refunds/",
        {**body, "amount_minor": 2000},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="k-1",
    )
    assert other.status_code == 422
    assert other.json()["error"]["code"] == "idempotency_key_reused"
    assert Refund.objects.filter(line=line).count() == 1

"""Concurrent refund requests on one order line, each from its own database connection: what
succeeds never adds up to more than was paid."""

from __future__ import annotations

import threading

import pytest
from django.db import close_old_connections, connection

from core import jobs
from payments import selectors
from payments.errors import RefundRefused
from payments.models import Order, OrderLine, OrderStatus, Refund, RefundState
from payments.services import refund_requests
from tests.catalog.factories import OfferingFactory
from tests.conftest import World

pytestmark = pytest.mark.django_db(transaction=True)
THREADS = 8


def _paid_line(world: World, amount: int) -> OrderLine:
    from django.utils import timezone

    from enrollment import services as enrollment_services

    offering = OfferingFactory.create(microcredential__unit=world.a_unit1, price_minor=amount, capacity=5)
    enrollment = enrollment_services.enrollment_create(
        tenant=world.a, learner=world.learner, offering_id=offering.pk
    ).enrollment
    order = Order.objects.create(
        tenant=world.a,
        learner=world.learner,
        reference="RACE0001",
        email=world.learner.email,
        currency="USD",
        amount_minor=amount,
        status=OrderStatus.PAID,
        checkout_expires_at=timezone.now(),
        paid_at=timezone.now(),
    )
    return OrderLine.objects.create(
        order=order,
        tenant=world.a,
        offering=offering,
        enrollment=enrollment,
        unit=world.a_unit1,
        amount_minor=amount,
        list_amount_minor=amount,
        currency="USD",
        description="Race",
    )


def test_concurrent_requests_cannot_over_refund(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jobs, "enqueue", lambda name, *args, **kwargs: True)  # no Stripe here
    line = _paid_line(world, 10000)
    barrier = threading.Barrier(THREADS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def ask() -> None:
        try:
            barrier.wait(10)
            refund_requests.refund_request(
                tenant=world.a, line_id=line.pk, amount_minor=3000, reason="race", requested_by_kind="staff"
            )
            result = "ok"
        except RefundRefused as exc:
            result = exc.code
        finally:
            close_old_connections()
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=ask) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert sorted(outcomes) == ["ok"] * 3 + ["refund_too_much"] * 5
    assert sum(Refund.objects.filter(line=line).values_list("amount_minor", flat=True)) == 9000
    # A failed refund frees its amount again; the line still never goes over.
    Refund.objects.filter(pk=Refund.objects.filter(line=line).first().pk).update(  # type: ignore[union-attr]
        state=RefundState.FAILED
    )
    assert selectors.refundable_minor(OrderLine.objects.select_related("order").get(pk=line.pk)) == 4000

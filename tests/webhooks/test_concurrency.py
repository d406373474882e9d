"""Two senders at once, each on its own database connection, against one endpoint: no delivery is
sent twice, and each object's events still arrive in order."""

from __future__ import annotations

import pytest

from enrollment import services as enrollment_services
from enrollment.services import messages
from tests.enrollment.test_concurrency import run_parallel
from tests.factories import UserFactory
from tests.webhooks.conftest import endpoint, free_offering
from webhooks import services
from webhooks.models import Delivery, DeliveryStatus

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _no_jobs(monkeypatch):
    """The senders here are the test's threads: no job is queued after commit."""
    monkeypatch.setattr(messages, "enqueue_after_commit", lambda task, message_id: None)
    monkeypatch.setattr(services, "enqueue_after_commit", lambda task, *args: None)


def test_two_senders_at_once_never_send_one_delivery_twice(world, receiver):
    receiver.delay_seconds = 0.02  # each answer takes a moment: the senders overlap
    hook, _secret = endpoint(world.a, receiver.url)
    offering = free_offering(world.a_unit1, capacity=50)
    for n in range(16):
        learner = UserFactory.create()
        e = enrollment_services.enrollment_create(tenant=world.a, learner=learner, offering_id=offering.pk)
        if n % 2:
            enrollment_services.enrollment_cancel(
                tenant=world.a, learner=learner, enrollment_id=e.enrollment.pk
            )
    rows = list(Delivery.objects.filter(endpoint=hook).order_by("pk"))
    assert len(rows) == 24

    def sender():
        sent = 0
        while True:
            run = services.endpoint_deliver(endpoint_id=hook.pk)
            sent += run.sent
            if not run.more and run.sent == 0:
                return sent

    calls = run_parallel([("one", sender), ("two", sender)], workers=2)
    assert [c.error for c in calls.values()] == [None, None]
    assert calls["one"].result + calls["two"].result == 24
    assert min(calls["one"].result, calls["two"].result) > 0  # both sent: they did overlap
    ids = [r.event["id"] for r in receiver.accepted]
    assert len(ids) == len(set(ids)) == 24
    assert set(ids) == {r.event_id for r in rows}
    by_object: dict[int, list[str]] = {}
    for r in receiver.accepted:
        by_object.setdefault(r.event["data"]["id"], []).append(r.event["type"])
    assert all(types[0] == "enrollment.confirmed" for types in by_object.values())
    assert sorted(len(t) for t in by_object.values()) == [1] * 8 + [2] * 8
    assert set(Delivery.objects.filter(endpoint=hook).values_list("status", flat=True)) == {
        DeliveryStatus.SUCCEEDED
    }
    assert all(r.attempts == 1 for r in Delivery.objects.filter(endpoint=hook))

"""Each event type, from the service where it happens: an order paid (each unit hears of its own
lines), a refund succeeded, a completion recorded, credentials issued one by one and in a batch."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from credentials.services.issue import credential_issue
from credentials.services.issue_batch import credentials_issue_batch
from enrollment import services as enrollment_services
from tests.credentials.conftest import completed_enrollment
from tests.factories import UserFactory
from tests.payments.conftest import Shop
from tests.refunds.helpers import paid_order, request
from tests.webhooks.conftest import endpoint, free_offering
from webhooks import services
from webhooks.models import Delivery


def _events(hook) -> list[tuple[str, dict[str, Any]]]:
    return [(d.event_type, d.payload) for d in Delivery.objects.filter(endpoint=hook).order_by("pk")]


def test_an_order_paid_and_a_refund_tell_each_unit_of_its_own_lines(shop: Shop, eager_tasks: None, receiver):
    world = shop.world
    events = ["order.paid", "refund.succeeded"]
    unit1, _s = endpoint(world.a, receiver.url, unit=world.a_unit1, events=events)
    unit2, _s = endpoint(world.a, receiver.url, unit=world.a_unit2, events=events)
    wide, _s = endpoint(world.a, receiver.url, events=events)
    order = paid_order(shop, 125000, 30000, units=[world.a_unit1, world.a_unit2])
    first, second = order.lines.order_by("pk")

    (paid1,) = _events(unit1)
    assert paid1[0] == "order.paid"
    assert paid1[1]["unit"] == "continuing-ed"
    data = paid1[1]["data"]
    assert (data["object"], data["id"], data["reference"], data["email"]) == (
        "order",
        order.pk,
        order.reference,
        order.email,
    )
    assert (data["amount_minor"], data["currency"]) == (125000, "USD")
    assert [line["id"] for line in data["lines"]] == [first.pk]
    assert data["lines"][0]["amount_minor"] == 125000
    assert data["lines"][0]["status"] == "confirmed"
    ((_t, paid2),) = _events(unit2)
    assert (paid2["unit"], paid2["data"]["amount_minor"]) == ("business", 30000)
    assert [line["id"] for line in paid2["data"]["lines"]] == [second.pk]
    ((_t, whole),) = _events(wide)
    assert whole["unit"] is None  # two units' lines
    assert (whole["data"]["amount_minor"], len(whole["data"]["lines"])) == (155000, 2)
    assert whole["id"] == paid1[1]["id"] == paid2["id"]

    refund = request(shop, first, 50000, reason="Asked by phone")
    assert refund.state == "succeeded"
    ((_t, told),) = [e for e in _events(unit1) if e[0] == "refund.succeeded"]
    assert told["data"] == {
        "object": "refund",
        "id": refund.pk,
        "amount_minor": 50000,
        "currency": "USD",
        "status": "succeeded",
        "reason": "Asked by phone",
        "order": {"id": order.pk, "reference": order.reference, "email": order.email},
        "line_id": first.pk,
        "enrollment_id": first.enrollment_id,
        "offering": {"id": first.offering_id, "title": first.offering.microcredential.title},
        "succeeded_at": told["data"]["succeeded_at"],
    }
    assert [t for t, _p in _events(unit2)] == ["order.paid"]
    assert [t for t, _p in _events(wide)] == ["order.paid", "refund.succeeded"]
    # The eager jobs after commit sent them all, each once.
    assert sorted(r.event["id"] for r in receiver.accepted) == sorted(
        Delivery.objects.values_list("event_id", flat=True)
    )


@pytest.mark.django_db
def test_a_recorded_completion_is_enrollment_completed(world, receiver):
    hook, _s = endpoint(world.a, receiver.url, events=["enrollment.completed"])
    offering = free_offering(
        world.a_unit1,
        starts_at=timezone.now() - timedelta(days=10),
        enrollment_opens_at=timezone.now() - timedelta(days=20),
        enrollment_closes_at=timezone.now() + timedelta(days=1),
    )
    enrollment = enrollment_services.enrollment_create(
        tenant=world.a, learner=UserFactory.create(), offering_id=offering.pk
    ).enrollment
    enrollment_services.completion_record(
        tenant=world.a,
        enrollment_id=enrollment.pk,
        outcome="completed",
        source="staff",
        actor=world.a_unit1_admin,
        on=(timezone.now() - timedelta(days=1)).date(),
    )
    ((kind, payload),) = _events(hook)
    assert kind == "enrollment.completed"
    assert (payload["data"]["id"], payload["data"]["status"]) == (enrollment.pk, "completed")
    assert payload["data"]["learner"]["email"] == enrollment.learner.email


@pytest.mark.django_db
def test_credentials_issued_one_by_one_and_in_a_batch(world, receiver, sent):
    hook, _s = endpoint(world.a, receiver.url, unit=world.a_unit1, events=["credential.issued"])
    other, _s = endpoint(world.a, receiver.url, unit=world.a_unit2, events=["credential.issued"])
    one = completed_enrollment(world)
    credential = credential_issue(enrollment_id=one.pk)
    many = [completed_enrollment(world, learner=UserFactory.create()) for _ in range(3)]
    batch = credentials_issue_batch(enrollment_ids=[e.pk for e in many])
    assert len(batch) == 3
    found = _events(hook)
    assert [t for t, _p in found] == ["credential.issued"] * 4
    first = found[0][1]["data"]
    assert first == {
        "object": "credential",
        "id": str(credential.public_id),
        "kind": "achievement",
        "learner": {"email": one.learner.email},
        "microcredential": {"id": one.offering.microcredential_id, "title": "Data Analysis with SQL"},
        "enrollment_id": one.pk,
        "issued_at": first["issued_at"],
    }
    assert sorted(p["data"]["enrollment_id"] for _t, p in found[1:]) == sorted(e.pk for e in many)
    assert _events(other) == []
    assert services.endpoint_deliver(endpoint_id=hook.pk).sent == 4

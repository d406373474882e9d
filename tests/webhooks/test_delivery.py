"""Deliveries end to end: domain changes write outbox rows, the sender POSTs them to a real HTTP
server that fails and recovers, in order per object, exactly once, with a day of retries."""

from __future__ import annotations

import time
from contextlib import nullcontext
from datetime import UTC, timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from rest_framework.test import APIClient

from enrollment import services as enrollment_services
from enrollment.models import Enrollment
from tests.broker import broker_down
from tests.factories import UserFactory
from tests.webhooks.conftest import Clock, endpoint, free_offering
from webhooks import services, tasks
from webhooks.errors import EndpointRefused
from webhooks.models import Delivery, DeliveryStatus, Endpoint

pytestmark = pytest.mark.django_db


def _enrol(world, offering, learner=None):
    learner = learner or UserFactory.create()
    result = enrollment_services.enrollment_create(tenant=world.a, learner=learner, offering_id=offering.pk)
    return result.enrollment, learner


def _cancel(world, enrollment, learner):
    enrollment_services.enrollment_cancel(tenant=world.a, learner=learner, enrollment_id=enrollment.pk)


def _drain(endpoint_id: int, clock: Clock, *, rounds: int = 20) -> None:
    for _round in range(rounds):
        run = services.endpoint_deliver(endpoint_id=endpoint_id, now=clock)
        if (
            not run.more
            and not Delivery.objects.filter(
                endpoint_id=endpoint_id, status=DeliveryStatus.PENDING, next_attempt_at__lte=clock()
            ).exists()
        ):
            return


def test_an_endpoint_that_fails_then_recovers_gets_every_event_once_in_order_per_object(world, receiver):
    hook, _secret = endpoint(world.a, receiver.url, unit=world.a_unit1)
    offering = free_offering(world.a_unit1)
    first, ada = _enrol(world, offering)
    second, _bo = _enrol(world, offering)
    _cancel(world, first, ada)
    third, cy = _enrol(world, offering)
    _cancel(world, third, cy)
    rows = list(Delivery.objects.filter(endpoint=hook).order_by("pk"))
    assert [(r.object_ref, r.event_type) for r in rows] == [
        (f"enrollment:{first.pk}", "enrollment.confirmed"),
        (f"enrollment:{second.pk}", "enrollment.confirmed"),
        (f"enrollment:{first.pk}", "enrollment.cancelled"),
        (f"enrollment:{third.pk}", "enrollment.confirmed"),
        (f"enrollment:{third.pk}", "enrollment.cancelled"),
    ]

    clock = Clock(timezone.now())
    receiver.mode = "fail"
    services.endpoint_deliver(endpoint_id=hook.pk, now=clock)
    assert len(receiver.requests) == 1  # a run stops at the endpoint's first failure
    clock.at += timedelta(seconds=30)
    services.endpoint_deliver(endpoint_id=hook.pk, now=clock)
    clock.at += timedelta(minutes=3)
    services.endpoint_deliver(endpoint_id=hook.pk, now=clock)
    refused = len(receiver.requests)
    assert refused == 3
    assert not receiver.accepted
    assert Delivery.objects.filter(endpoint=hook, status=DeliveryStatus.PENDING).count() == 5

    receiver.mode = "ok"
    clock.at += timedelta(minutes=10)
    _drain(hook.pk, clock)

    assert set(Delivery.objects.filter(endpoint=hook).values_list("status", flat=True)) == {"succeeded"}
    taken = [r.event for r in receiver.accepted]
    assert sorted(e["id"] for e in taken) == sorted(r.event_id for r in rows)  # each once
    by_object: dict[int, list[str]] = {}
    for event in taken:
        by_object.setdefault(event["data"]["id"], []).append(event["type"])
    assert by_object == {
        first.pk: ["enrollment.confirmed", "enrollment.cancelled"],
        second.pk: ["enrollment.confirmed"],
        third.pk: ["enrollment.confirmed", "enrollment.cancelled"],
    }
    event = next(e for e in taken if e["data"]["id"] == second.pk)
    assert event["tenant"] == "alpha"
    assert event["unit"] == "continuing-ed"
    assert event["data"]["learner"]["email"] == second.learner.email
    assert event["data"]["offering"] == {
        "id": offering.pk,
        "title": offering.microcredential.title,
        "cohort": offering.cohort_label,
        "starts_at": offering.starts_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "ends_at": offering.ends_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
    }


def test_a_later_event_of_an_object_waits_while_an_earlier_one_is_retried(world, receiver):
    hook, _secret = endpoint(world.a, receiver.url, unit=world.a_unit1)
    offering = free_offering(world.a_unit1)
    first, ada = _enrol(world, offering)
    _cancel(world, first, ada)
    clock = Clock(timezone.now())
    receiver.mode = "fail"
    services.endpoint_deliver(endpoint_id=hook.pk, now=clock)  # confirmed: fails, retried in a minute
    receiver.mode = "ok"
    services.endpoint_deliver(endpoint_id=hook.pk, now=clock)  # cancelled is due, but must wait
    assert receiver.accepted == []
    clock.at += timedelta(minutes=1)
    _drain(hook.pk, clock)
    assert [r.event["type"] for r in receiver.accepted] == ["enrollment.confirmed", "enrollment.cancelled"]


def test_each_endpoint_hears_of_its_own_units_events_only(world, receiver):
    unit1, _s = endpoint(world.a, receiver.url, unit=world.a_unit1)
    unit2, _s = endpoint(world.a, receiver.url, unit=world.a_unit2)
    tenant_wide, _s = endpoint(world.a, receiver.url)
    only_cancelled, _s = endpoint(world.a, receiver.url, events=["enrollment.cancelled"])
    disabled, _s = endpoint(world.a, receiver.url)
    services.endpoint_set_enabled(tenant=world.a, endpoint_id=disabled.pk, enabled=False)
    other_tenant, _s = endpoint(world.b, receiver.url)
    enrollment, _learner = _enrol(world, free_offering(world.a_unit1))
    counts = {
        e.pk: Delivery.objects.filter(endpoint=e).count()
        for e in (unit1, unit2, tenant_wide, only_cancelled, disabled, other_tenant)
    }
    assert counts == {
        unit1.pk: 1,
        unit2.pk: 0,
        tenant_wide.pk: 1,
        only_cancelled.pk: 0,
        disabled.pk: 0,
        other_tenant.pk: 0,
    }
    a, b = Delivery.objects.filter(object_ref=f"enrollment:{enrollment.pk}").order_by("pk")
    assert a.event_id == b.event_id  # one event, the same id at every endpoint
    assert a.payload["unit"] == "continuing-ed"
    assert b.payload["unit"] == "continuing-ed"


def test_a_rolled_back_change_writes_no_delivery(world, receiver):
    hook, _secret = endpoint(world.a, receiver.url)
    offering = free_offering(world.a_unit1)
    written = []

    def enrol_then_fail() -> None:
        with transaction.atomic():
            _enrol(world, offering)
            written.append(Delivery.objects.filter(endpoint=hook).count())  # written with the change
            raise RuntimeError("the request failed after enrolling")

    with pytest.raises(RuntimeError):
        enrol_then_fail()
    assert written == [1]
    assert Delivery.objects.filter(endpoint=hook).count() == 0
    assert Enrollment.objects.filter(offering=offering).count() == 0


@pytest.mark.parametrize("broker", ["up", "down"])
def test_an_enrol_request_makes_no_network_call_and_is_fast_while_the_endpoint_hangs(
    world, receiver, django_capture_on_commit_callbacks, broker
):
    """The request only writes the outbox row; the kick after commit goes to the broker (no
    eager tasks), or, the broker down, is lost and the row waits for the minute sweep. Either
    way the request never waits on the endpoint, which here would hold a sender for its whole
    timeout."""
    receiver.mode = "hang"
    hook, _secret = endpoint(world.a, receiver.url)
    offering = free_offering(world.a_unit1)
    client = APIClient(HTTP_HOST="alpha.test")
    client.force_authenticate(world.learner)
    started = time.monotonic()
    with (
        broker_down() if broker == "down" else nullcontext(),
        django_capture_on_commit_callbacks(execute=True) as callbacks,
    ):
        response = client.post("/api/v1/enrollments/", {"offering": offering.pk}, format="json")
    took = time.monotonic() - started
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "confirmed"
    assert took < 3.0, took
    assert callbacks  # the send job was asked for after commit
    assert receiver.requests == []
    row = Delivery.objects.get(endpoint=hook)
    assert (row.status, row.attempts, row.object_ref) == ("pending", 0, f"enrollment:{response.json()['id']}")
    assert services.endpoints_due() == [hook.pk]  # what the sweep kicks


def test_a_hanging_endpoint_costs_a_sender_the_timeout_and_no_more(world, receiver, monkeypatch):
    monkeypatch.setattr(services, "READ_TIMEOUT_SECONDS", 1)
    receiver.mode = "hang"
    receiver.hang_seconds = 4
    hook, _secret = endpoint(world.a, receiver.url)
    _enrol(world, free_offering(world.a_unit1))
    _enrol(world, free_offering(world.a_unit1))
    started = time.monotonic()
    run = services.endpoint_deliver(endpoint_id=hook.pk)
    assert time.monotonic() - started < 3.0
    assert run.sent == 0
    assert run.failed == 1
    first, second = Delivery.objects.filter(endpoint=hook).order_by("pk")
    assert (first.status, first.attempts, first.last_error) == ("pending", 1, "No answer in time.")
    assert second.attempts == 0  # not tried: the endpoint is down


def test_retries_back_off_and_give_up_a_day_after_the_event(world, receiver):
    receiver.mode = "fail"
    receiver.fail_body = b"x" * 5000
    hook, _secret = endpoint(world.a, receiver.url)
    _enrol(world, free_offering(world.a_unit1))
    row = Delivery.objects.get(endpoint=hook)
    clock = Clock(row.created_at)
    attempts_at = []
    while row.status == DeliveryStatus.PENDING:
        clock.at = max(clock.at, row.next_attempt_at)
        attempts_at.append(clock.at - row.created_at)
        services.endpoint_deliver(endpoint_id=hook.pk, now=clock)
        row.refresh_from_db()
    m = timedelta(minutes=1)
    assert attempts_at == [0 * m, 1 * m, 6 * m, 36 * m, 156 * m, 516 * m, 1236 * m, 1440 * m]
    assert (row.status, row.attempts, row.last_status_code) == ("failed", 8, 500)
    assert row.last_response_body == "x" * 2048
    assert len(receiver.requests) == 8


def test_the_schedule():
    start = timezone.now()
    m = timedelta(minutes=1)
    assert services.next_attempt_at(attempts=1, retry_from=start, now=start) == start + m
    assert services.next_attempt_at(attempts=2, retry_from=start, now=start + m) == start + 6 * m
    assert services.next_attempt_at(attempts=9, retry_from=start, now=start + 60 * m) == start + 780 * m
    assert services.next_attempt_at(attempts=7, retry_from=start, now=start + 1300 * m) == start + 1440 * m
    assert services.next_attempt_at(attempts=8, retry_from=start, now=start + 1440 * m) is None


def test_replay_sends_the_same_event_again(world, receiver):
    hook, _secret = endpoint(world.a, receiver.url)
    _enrol(world, free_offering(world.a_unit1))
    services.endpoint_deliver(endpoint_id=hook.pk)
    row = Delivery.objects.get(endpoint=hook)
    assert row.status == "succeeded"
    services.delivery_replay(tenant=world.a, endpoint_id=hook.pk, delivery_id=row.pk)
    services.endpoint_deliver(endpoint_id=hook.pk)
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("succeeded", 1)
    assert [r.event["id"] for r in receiver.accepted] == [row.event_id, row.event_id]


def test_where_private_addresses_are_refused_nothing_is_sent_there(world, receiver, settings):
    """In production an endpoint cannot make the worker call into the platform's own network:
    a private address is refused on the form, and a name that resolves to one is not called."""
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = True
    hook, _secret = endpoint(world.a, receiver.url.replace("127.0.0.1", "localhost"))
    _enrol(world, free_offering(world.a_unit1))
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = False
    for url in (
        "https://10.0.0.5/x",
        "https://169.254.169.254/latest",
        "https://[::1]/x",
        "https://localhost/x",
    ):
        with pytest.raises(EndpointRefused):
            services.endpoint_create(tenant=world.a, unit=None, url=url, event_types=["order.paid"])
    run = services.endpoint_deliver(endpoint_id=hook.pk)
    assert run.failed == 1
    row = Delivery.objects.get(endpoint=hook)
    assert row.last_error.startswith("Not sent: the address is a private one (")
    assert receiver.requests == []


def test_the_minute_sweep_sends_what_a_lost_kick_left_and_purges_old_rows(world, receiver, eager_tasks):
    """No job was sent after commit (the test's transaction never commits): the sweep finds the
    row, its job (eager here) sends it."""
    hook, _secret = endpoint(world.a, receiver.url)
    _enrol(world, free_offering(world.a_unit1))
    old = services.ping_send(tenant=world.a, endpoint_id=hook.pk, now=timezone.now() - timedelta(days=31))
    Delivery.objects.filter(pk=old.pk).update(
        status="succeeded", delivered_at=timezone.now() - timedelta(days=31)
    )
    assert tasks.sweep() == 1
    assert [r.event["type"] for r in receiver.accepted] == ["enrollment.confirmed"]
    assert not Delivery.objects.filter(pk=old.pk).exists()
    assert Delivery.objects.get(endpoint=hook).status == "succeeded"
    assert tasks.sweep() == 0


def test_a_secret_that_cannot_be_read_is_said_on_the_delivery_and_nothing_is_sent(world, receiver):
    hook, _secret = endpoint(world.a, receiver.url)
    _enrol(world, free_offering(world.a_unit1))
    Endpoint.objects.filter(pk=hook.pk).update(secret_encrypted="sealed-with-another-key")
    assert services.endpoint_deliver(endpoint_id=hook.pk).failed == 1
    row = Delivery.objects.get(endpoint=hook)
    assert (row.status, row.attempts, row.claimed_at) == ("pending", 1, None)
    assert row.last_error == "Not sent: the endpoint's secret cannot be read (the key changed)."
    assert receiver.requests == []

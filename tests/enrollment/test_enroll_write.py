"""The enroll path's write: a seat and its enrollment are written in one transaction, so a
refusal of either (no seat left, the learner's active enrollment, an Idempotency-Key already
answered) leaves neither."""

from __future__ import annotations

import dataclasses

import pytest
from django.db import transaction

from enrollment import services
from enrollment.errors import AlreadyEnrolled, IdempotencyKeyReused, OfferingFull
from enrollment.models import Enrollment, EnrollmentEvent, EnrollmentStatus, IdempotencyRecord
from enrollment.services import enroll, idempotency
from tests.enrollment.conftest import make_offering, seats
from tests.factories import UserFactory

S = EnrollmentStatus


def _hold(world, offering, learner):
    return services.enrollment_create(tenant=world.a, learner=learner, offering_id=offering.pk)


def _keyed_hold(world, offering, learner, key):
    def run() -> idempotency.Answer:
        result = _hold(world, offering, learner)
        return idempotency.Answer(201, {"id": result.enrollment.pk, "status": result.enrollment.status})

    return idempotency.answer_once(
        tenant=world.a,
        user=learner,
        key=key,
        request_fingerprint=idempotency.fingerprint("POST", "enrollments", {"offering": offering.pk}),
        run=run,
    )


def test_a_seat_and_its_enrollment_are_written_together(world):
    offering = make_offering(world, capacity=1, price_minor=4900)
    learner = UserFactory.create()

    enrolled = _hold(world, offering, learner).enrollment

    assert seats(offering) == 1
    assert Enrollment.objects.get(pk=enrolled.pk).status == S.HELD
    event = EnrollmentEvent.objects.get(enrollment_id=enrolled.pk)
    assert (event.action, event.from_status, event.to_status, event.actor_id) == (
        "enrolled",
        "",
        S.HELD,
        learner.pk,
    )


def test_no_seat_left_writes_nothing(world):
    offering = make_offering(world, capacity=1, price_minor=4900, waitlist_enabled=False)
    _hold(world, offering, UserFactory.create())

    with pytest.raises(OfferingFull):
        _hold(world, offering, UserFactory.create())

    assert seats(offering) == 1
    assert Enrollment.objects.filter(offering=offering).count() == 1


def test_a_second_enrollment_refused_by_the_unique_index_gives_its_seat_back(world, monkeypatch):
    """A double click that got past the read: the INSERT fails on the one-active-enrollment
    index, and the seat the same transaction took is not kept."""
    offering = make_offering(world, capacity=3, price_minor=4900)
    learner = UserFactory.create()
    _hold(world, offering, learner)
    read = enroll.offering_for_enroll

    def stale_read(**kwargs):  # as read before the first click's commit
        found = read(**kwargs)
        assert found is not None
        return dataclasses.replace(found, mine_status=None)

    monkeypatch.setattr(enroll, "offering_for_enroll", stale_read)

    with pytest.raises(AlreadyEnrolled), transaction.atomic():
        _hold(world, offering, learner)

    assert seats(offering) == 1
    assert Enrollment.objects.filter(offering=offering).count() == 1


def test_a_key_already_answered_undoes_the_retry_and_replays_the_answer(world):
    """The retry's own checks let it through (its first enrollment was cancelled meanwhile):
    its seat and enrollment are rolled back with the refused record, and the first answer
    comes back."""
    offering = make_offering(world, capacity=3, price_minor=4900)
    learner = UserFactory.create()
    first = _keyed_hold(world, offering, learner, "key-1")
    Enrollment.objects.filter(pk=first.body["id"]).update(status=S.CANCELLED, hold_expires_at=None)

    again = _keyed_hold(world, offering, learner, "key-1")

    assert (again.status, again.body, again.replayed) == (201, first.body, True)
    assert seats(offering) == 1
    assert Enrollment.objects.filter(offering=offering).count() == 1
    assert IdempotencyRecord.objects.filter(key="key-1").count() == 1


def test_a_key_used_for_another_offering_writes_nothing_there(world):
    here, there = (make_offering(world, capacity=3, price_minor=4900) for _ in range(2))
    learner = UserFactory.create()
    _keyed_hold(world, here, learner, "key-1")

    with pytest.raises(IdempotencyKeyReused):
        _keyed_hold(world, there, learner, "key-1")

    assert (seats(here), seats(there)) == (1, 0)
    assert not Enrollment.objects.filter(offering=there).exists()


def test_the_last_seat_held_through_the_enroll_path_shows_full_at_once(world, client, settings):
    """The catalog's cached pages learn that the offering just became full."""
    settings.CATALOG_CACHE_SECONDS = 60
    offering = make_offering(world, capacity=2, price_minor=4900)
    _hold(world, offering, UserFactory.create())
    assert "1 seat left" in client.get("/", HTTP_HOST="alpha.test").content.decode()

    _hold(world, offering, UserFactory.create())

    assert "Full — join the wait-list" in client.get("/", HTTP_HOST="alpha.test").content.decode()

"""The enroll path's one write (a PL/pgSQL function, migration 0005): a held seat and its
enrollment are one statement, so a refusal of either leaves neither."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from enrollment.models import Enrollment, EnrollmentEvent, EnrollmentStatus, IdempotencyRecord
from enrollment.services import _sql
from enrollment.services.idempotency import Keyed
from tests.enrollment.conftest import make_offering, seats
from tests.factories import UserFactory

S = EnrollmentStatus


def _hold(offering, learner, answer=None):
    now = timezone.now()
    return _sql.enrollment_insert(
        offering=offering,
        learner_id=learner.pk,
        status=S.HELD,
        actor_id=learner.pk,
        action="enrolled",
        reason="",
        now=now,
        hold_expires_at=now + timedelta(minutes=30),
        answer=answer,
        take_seat=True,
    )


def test_a_seat_and_its_enrollment_are_written_together(world):
    offering = make_offering(world, capacity=1, price_minor=4900)
    learner = UserFactory.create()

    inserted = _hold(offering, learner)

    assert inserted is not None
    assert seats(offering) == 1
    assert Enrollment.objects.get(pk=inserted.enrollment.pk).status == S.HELD
    assert EnrollmentEvent.objects.filter(enrollment_id=inserted.enrollment.pk, to_status=S.HELD).count() == 1


def test_no_seat_left_writes_nothing(world):
    offering = make_offering(world, capacity=1, price_minor=4900)
    assert _hold(offering, UserFactory.create()) is not None

    assert _hold(offering, UserFactory.create()) is None

    assert seats(offering) == 1
    assert Enrollment.objects.filter(offering=offering).count() == 1


def test_a_second_enrollment_refused_by_the_unique_index_gives_its_seat_back(world):
    """A double click that got past the read: the INSERT fails on the one-active-enrollment
    index, and the seat the same statement took is not kept."""
    offering = make_offering(world, capacity=3, price_minor=4900)
    learner = UserFactory.create()
    assert _hold(offering, learner) is not None

    with pytest.raises(IntegrityError, match="enrollment_one_active_per_learner"), transaction.atomic():
        _hold(offering, learner)

    assert seats(offering) == 1


def test_a_key_already_answered_refuses_the_whole_statement(world):
    offering = make_offering(world, capacity=3, price_minor=4900)
    learner = UserFactory.create()
    keyed = Keyed(world.a.pk, learner.pk, "key-1", "f" * 64)
    answer = _sql.AnswerToStore(keyed, 201, {"id": None, "status": "held"}, "%s")
    first = _hold(offering, learner, answer)
    assert first is not None
    assert first.stored == {"id": first.enrollment.pk, "status": "held"}
    Enrollment.objects.filter(pk=first.enrollment.pk).update(status=S.CANCELLED, hold_expires_at=None)

    with pytest.raises(IntegrityError, match="idempotency_key_unique"), transaction.atomic():
        _hold(offering, learner, answer)

    assert seats(offering) == 1
    assert Enrollment.objects.filter(offering=offering).count() == 1
    assert IdempotencyRecord.objects.filter(key="key-1").count() == 1


def test_the_last_seat_held_through_the_enroll_path_shows_full_at_once(world, client, settings):
    """The seat is taken inside the database function, not by catalog's Python service: the
    catalog's cached pages must still learn that the offering just became full."""
    settings.CATALOG_CACHE_SECONDS = 60
    offering = make_offering(world, capacity=2, price_minor=4900)
    assert _hold(offering, UserFactory.create()) is not None
    assert "1 seat left" in client.get("/", HTTP_HOST="alpha.test").content.decode()

    assert _hold(offering, UserFactory.create()) is not None

    assert "Full — join the wait-list" in client.get("/", HTTP_HOST="alpha.test").content.decode()

"""An offering held locked by another change for longer than the lock timeout: the learner's
cancel is refused with `enrollment_busy` (503, try again), nothing changes, never a 500; once the
lock is gone the same request goes through."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from catalog.models import Offering
from enrollment import services
from enrollment.models import EnrollmentStatus
from enrollment.services import _common
from tests.enrollment.conftest import make_offering
from tests.factories import UserFactory
from tests.locks import locked_elsewhere

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_offering_locked_too_long_is_enrollment_busy_not_a_500(world, monkeypatch):
    offering = make_offering(world, capacity=2)
    learner = UserFactory.create()
    enrollment = services.enrollment_create(
        tenant=world.a, learner=learner, offering_id=offering.pk
    ).enrollment
    monkeypatch.setattr(_common, "LOCK_TIMEOUT", "200ms")
    client = APIClient(HTTP_HOST=world.a.domains.get(is_primary=True).host)
    client.force_authenticate(learner)
    # Another change of the offering, on its own connection.
    with locked_elsewhere(lambda: Offering.objects.select_for_update().get(pk=offering.pk)):
        busy = client.post(f"/api/v1/enrollments/{enrollment.pk}/cancel/")

    assert busy.status_code == 503
    assert busy.json()["error"]["code"] == "enrollment_busy"
    assert (
        busy.json()["error"]["message"]
        == "Someone else is changing this offering just now. Try again in a moment."
    )
    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.CONFIRMED

    done = client.post(f"/api/v1/enrollments/{enrollment.pk}/cancel/")
    assert (done.status_code, done.json()["status"]) == (200, "cancelled")

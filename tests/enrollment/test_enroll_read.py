"""The enroll path's one read (a PL/pgSQL function, migration 0003) knows what the models know:
which states are active, whether anyone waits, the offering's own fields."""

from __future__ import annotations

import pytest

from enrollment.models import ACTIVE_STATES, Enrollment, EnrollmentStatus
from enrollment.services import _sql
from tests.enrollment.conftest import make_offering
from tests.factories import UserFactory

S = EnrollmentStatus


@pytest.mark.parametrize("status", list(S))
def test_the_learners_enrollment_counts_only_while_active(world, status):
    offering = make_offering(world, capacity=3)
    learner = UserFactory.create()
    Enrollment.objects.create(
        tenant=world.a,
        offering=offering,
        learner=learner,
        status=status,
        hold_expires_at=offering.starts_at if status == S.HELD else None,
        offer_expires_at=offering.starts_at if status == S.OFFERED else None,
    )

    found = _sql.offering_for_enroll(tenant=world.a, offering_id=offering.pk, learner_id=learner.pk)

    assert found is not None
    assert found.mine_status == (status if status in ACTIVE_STATES else None)
    assert found.someone_waits == (status == S.WAITLISTED)


def test_the_offering_comes_back_as_stored_and_only_for_its_tenant(world):
    offering = make_offering(world, capacity=7, price_minor=125000, seat_hold_minutes=45)
    learner = UserFactory.create()

    found = _sql.offering_for_enroll(tenant=world.a, offering_id=offering.pk, learner_id=learner.pk)

    assert found is not None
    got = found.offering
    for field in (
        "capacity",
        "seats_taken",
        "price_minor",
        "currency",
        "seat_hold_minutes",
        "starts_at",
        "enrollment_opens_at",
        "enrollment_closes_at",
        "time_zone",
        "cohort_label",
        "status",
    ):
        assert getattr(got, field) == getattr(offering, field), field
    assert (got.microcredential.title, found.unit_active) == (offering.microcredential.title, True)
    assert (found.mine_status, found.someone_waits) == (None, False)
    assert _sql.offering_for_enroll(tenant=world.b, offering_id=offering.pk, learner_id=learner.pk) is None

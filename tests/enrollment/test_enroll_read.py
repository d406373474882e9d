"""The enroll path's one read (enrollment.services.enroll.offering_for_enroll) knows what the
models know: which states are active, whether anyone waits, the offering's own fields; and
enrolling, with the API's answer rendered, reads the offering once."""

from __future__ import annotations

import pytest

from enrollment import services
from enrollment.api import enrollment_body
from enrollment.models import ACTIVE_STATES, Enrollment, EnrollmentStatus
from enrollment.services.enroll import offering_for_enroll
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

    found = offering_for_enroll(tenant=world.a, offering_id=offering.pk, learner=learner)

    assert found is not None
    assert found.mine_status == (status if status in ACTIVE_STATES else None)
    assert found.someone_waits == (status == S.WAITLISTED)


def test_the_offering_comes_back_as_stored_and_only_for_its_tenant(world):
    offering = make_offering(world, capacity=7, price_minor=125000, seat_hold_minutes=45)
    learner = UserFactory.create()

    found = offering_for_enroll(tenant=world.a, offering_id=offering.pk, learner=learner)

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
    assert (got.microcredential.title, got.microcredential.unit.is_active) == (
        offering.microcredential.title,
        True,
    )
    assert (found.mine_status, found.someone_waits) == (None, False)
    assert offering_for_enroll(tenant=world.b, offering_id=offering.pk, learner=learner) is None


@pytest.mark.parametrize(
    ("fields", "waiting", "status", "statements"),
    [
        # read, seat UPDATE, enrollment, event
        ({"price_minor": 4900}, 0, S.HELD, 4),
        # read, seat UPDATE, enrollment, event, the confirmation e-mail's outbox row, and which
        # events the tenant's webhook endpoints want (webhooks.subscriptions: then cached)
        ({"price_minor": 0}, 0, S.CONFIRMED, 6),
        # read, seat UPDATE (none left), the id, event, the e-mail's row, enrollment (its INSERT
        # returns the place)
        ({"price_minor": 4900, "seats_taken": 2}, 0, S.WAITLISTED, 6),
        # behind someone waiting, no seat is tried: read, id, event, e-mail, enrollment
        ({"price_minor": 4900, "seats_taken": 2}, 1, S.WAITLISTED, 5),
    ],
)
def test_enrolling_and_its_answer_read_the_offering_once(
    world, django_assert_num_queries, fields, waiting, status, statements
):
    """Every column enrolling, its e-mail and the API's answer use comes with the one read."""
    offering = make_offering(world, capacity=2, **fields)
    for _ in range(waiting):
        services.enrollment_create(tenant=world.a, learner=UserFactory.create(), offering_id=offering.pk)
    learner = UserFactory.create()

    with django_assert_num_queries(statements):
        result = services.enrollment_create(tenant=world.a, learner=learner, offering_id=offering.pk)
        body = enrollment_body(result.enrollment, result.waitlist_position)

    assert (body["status"], body["title"], body["cohort_label"]) == (
        status,
        offering.microcredential.title,
        offering.cohort_label,
    )
    assert body["waitlist_position"] == (waiting + 1 if status == S.WAITLISTED else None)

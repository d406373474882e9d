"""The place in line a learner is told on joining the wait-list (the API's and the pages'
`waitlist_position`) comes from the wait-list's count, kept by a database trigger: it must be
the learner's true place after others left, were offered a seat, were moved or put first."""

from __future__ import annotations

import dataclasses

import pytest
from django.db import transaction

from enrollment import selectors, services
from enrollment.errors import AlreadyEnrolled
from enrollment.models import Enrollment, EnrollmentStatus, WaitlistCount
from enrollment.services import enroll
from tenants.selectors import staff_access
from tests.enrollment.conftest import make_offering
from tests.factories import UserFactory

S = EnrollmentStatus


def _join(world, offering) -> services.Enrolled:
    return services.enrollment_create(tenant=world.a, learner=UserFactory.create(), offering_id=offering.pk)


def _full(world, waiting: int, **fields):
    offering = make_offering(world, capacity=1, **fields)
    holder = _join(world, offering).enrollment
    return offering, holder, [_join(world, offering).enrollment for _ in range(waiting)]


def _told_is_true(result: services.Enrolled) -> int | None:
    """The place told on joining, checked against counting the list."""
    assert result.waitlist_position == selectors.waitlist_position(result.enrollment)
    return result.waitlist_position


def _count(offering) -> int:
    counted = Enrollment.objects.filter(offering=offering, status=S.WAITLISTED).count()
    assert WaitlistCount.objects.get(offering=offering).waiting == counted
    return counted


def test_after_people_ahead_leave_a_newcomer_is_told_the_true_place(world):
    offering, _holder, waiters = _full(world, waiting=4)
    for leaver in (waiters[0], waiters[2]):
        services.waitlist_leave(tenant=world.a, learner=leaver.learner, enrollment_id=leaver.pk)

    assert _told_is_true(_join(world, offering)) == 3
    assert _count(offering) == 3


def test_after_a_seat_is_offered_to_the_head_the_newcomer_is_not_counted_behind_it(world):
    offering, holder, waiters = _full(world, waiting=3)
    services.enrollment_cancel(tenant=world.a, learner=holder.learner, enrollment_id=holder.pk)
    waiters[0].refresh_from_db()
    assert waiters[0].status == S.OFFERED

    assert _told_is_true(_join(world, offering)) == 3  # waiters 2 and 3, then the newcomer
    assert _count(offering) == 3


def test_after_staff_put_someone_first_and_cancel_another_a_newcomer_is_told_the_true_place(world):
    offering, _holder, waiters = _full(world, waiting=3)
    access = staff_access(tenant=world.a, user=world.a_admin)
    services.waitlist_entry_promote(
        tenant=world.a, access=access, actor=world.a_admin, enrollment_id=waiters[2].pk, reason="Sponsored"
    )
    assert selectors.waitlist_position(Enrollment.objects.get(pk=waiters[2].pk)) == 1
    services.staff_cancel(
        tenant=world.a, access=access, actor=world.a_admin, enrollment_id=waiters[0].pk, reason="Duplicate"
    )

    assert _told_is_true(_join(world, offering)) == 3
    assert _count(offering) == 3


def test_a_move_between_wait_lists_counts_in_both(world):
    here, _holder, waiters = _full(world, waiting=2)
    there, _other_holder, _others = _full(world, waiting=1, microcredential=here.microcredential)
    access = staff_access(tenant=world.a, user=world.a_admin)

    services.enrollment_move(
        tenant=world.a,
        access=access,
        actor=world.a_admin,
        enrollment_id=waiters[0].pk,
        to_offering_id=there.pk,
        reason="Clash",
    )

    assert _told_is_true(_join(world, here)) == 2  # waiters[1], then the newcomer
    assert _told_is_true(_join(world, there)) == 3  # the one there, the moved one, the newcomer
    assert (_count(here), _count(there)) == (2, 3)


def test_a_second_join_refused_by_the_unique_index_leaves_the_count_alone(world, monkeypatch):
    """Two copies of one request racing: the second's INSERT (counted by the trigger) fails on
    the one-active-enrollment index, and its count goes with it."""
    offering, _holder, [waiter] = _full(world, waiting=1)
    read = enroll.offering_for_enroll

    def stale_read(**kwargs):  # as read before the first copy's commit
        found = read(**kwargs)
        assert found is not None
        return dataclasses.replace(found, mine_status=None)

    monkeypatch.setattr(enroll, "offering_for_enroll", stale_read)
    with pytest.raises(AlreadyEnrolled), transaction.atomic():
        services.enrollment_create(tenant=world.a, learner=waiter.learner, offering_id=offering.pk)
    monkeypatch.undo()

    assert _count(offering) == 1
    assert _told_is_true(_join(world, offering)) == 2

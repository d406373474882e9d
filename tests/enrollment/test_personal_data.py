"""Enrollment's registrations: export, deletion (blocker and erase), merge mover, lookup source."""

from __future__ import annotations

import pytest

from enrollment import services
from enrollment.models import Enrollment, EnrollmentStatus
from enrollment.personal_data import move_enrollments
from identity.errors import AccountDeletionRefused
from identity.services import account_delete, account_export
from learners.errors import MergeRefused
from learners.registry import MergeContext
from learners.selectors import learner_lookup
from tenants.models import StaffMembership, StaffRole
from tenants.selectors import staff_access
from tests.enrollment.conftest import make_offering, seats
from tests.factories import UserFactory

S = EnrollmentStatus


def test_export_lists_enrollments_with_their_history(world):
    offering = make_offering(world, microcredential__title="Welding I", cohort_label="Spring")
    services.enrollment_create(tenant=world.a, learner=world.learner, offering_id=offering.pk)
    [exported] = account_export(user=world.learner)["enrollments"]
    assert (exported["institution"], exported["course"], exported["cohort"], exported["status"]) == (
        "Alpha University",
        "Welding I",
        "Spring",
        "confirmed",
    )
    assert [(h["action"], h["from"], h["to"]) for h in exported["history"]] == [("enrolled", "", "confirmed")]


def test_a_confirmed_seat_blocks_deletion(world):
    offering = make_offering(world, microcredential__title="Welding I")
    services.enrollment_create(tenant=world.a, learner=world.learner, offering_id=offering.pk)
    with pytest.raises(AccountDeletionRefused) as refused:
        account_delete(user=world.learner)
    assert refused.value.reasons == [
        "You are enrolled in “Welding I”: cancel that enrollment first (or ask the unit to)."
    ]


def test_deletion_ends_a_wait_list_place_and_passes_a_held_seat_on(world):
    offering = make_offering(world, capacity=1, price_minor=5000)
    held = services.enrollment_create(
        tenant=world.a, learner=world.learner, offering_id=offering.pk
    ).enrollment
    waiter = services.enrollment_create(tenant=world.a, learner=UserFactory.create(), offering_id=offering.pk)
    account_delete(user=world.learner)
    held.refresh_from_db()
    waiter.enrollment.refresh_from_db()
    assert (held.status, waiter.enrollment.status) == (S.CANCELLED, S.OFFERED)
    assert held.learner_id == world.learner.pk  # kept, pointing at the anonymous account
    assert list(held.events.values_list("action", flat=True))[-1] == "account_deleted"
    assert seats(offering) == 1


def test_merge_moves_enrollments_and_refuses_a_clash(world):
    offering = make_offering(world)
    other = make_offering(world)
    source, target = UserFactory.create(), UserFactory.create()
    services.enrollment_create(tenant=world.a, learner=source, offering_id=offering.pk)
    merge = MergeContext(tenant=world.a, source=source, target=target, actor=world.a_admin)
    assert move_enrollments(merge) == 1
    assert Enrollment.objects.get(offering=offering).learner == target

    services.enrollment_create(tenant=world.a, learner=source, offering_id=other.pk)
    services.enrollment_create(tenant=world.a, learner=target, offering_id=other.pk)
    with pytest.raises(MergeRefused, match="Both accounts are enrolled or waiting in"):
        move_enrollments(merge)


def test_unit_admins_find_learners_enrolled_in_their_units_only(world):
    offering = make_offering(world, microcredential__title="Welding I")
    services.enrollment_create(tenant=world.a, learner=world.learner, offering_id=offering.pk)
    unit1 = staff_access(tenant=world.a, user=world.a_unit1_admin)
    [match] = learner_lookup(tenant=world.a, access=unit1, email=world.learner.email)
    assert match.reasons == ["Enrolled in Welding I"]
    other_unit = UserFactory.create()
    membership = StaffMembership.objects.create(tenant=world.a, user=other_unit, role=StaffRole.UNIT_ADMIN)
    membership.units.set([world.a_unit2])
    access = staff_access(tenant=world.a, user=other_unit)
    assert learner_lookup(tenant=world.a, access=access, email=world.learner.email) == []

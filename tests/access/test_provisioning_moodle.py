"""Provisioning end to end against the local Moodle (lms_local, a real HTTP server), through the
real Moodle client and the real OIDC subject: a confirmed seat is added to the course once, a
cancelled one is taken out, and a completion in Moodle completes the enrollment exactly once."""

from __future__ import annotations

import pytest
from django.utils import timezone

from access.models import LmsKind, Provision, ProvisionState
from access.services import completions, connections, provisioning
from enrollment.models import EnrollmentStatus
from enrollment.services.changes import staff_cancel
from tenants.selectors import staff_access
from tests.access.conftest import TOKEN, enrol, make_offering
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_seat_goes_into_the_moodle_course_out_again_and_its_completion_comes_back(world, moodle, sent):
    course = moodle.control.add_course(name="Data Literacy", shortname="DL-101")
    connections.connection_save(
        tenant=world.a,
        access=staff_access(tenant=world.a, user=world.a_admin),
        unit_id=world.a_unit1.pk,
        kind=LmsKind.MOODLE,
        base_url=moodle.url,
        token=TOKEN,
        options={"student_role_id": 5},
    )
    offering = make_offering(world, course_ref="DL-101")
    ada = UserFactory.create(email="ada@learners.test", full_name="Ada Lovelace")
    enrollment = enrol(world, offering, ada)
    assert enrollment.status == EnrollmentStatus.CONFIRMED

    provisioning.provision_sync(enrollment_id=enrollment.pk)
    provisioning.provision_sync(enrollment_id=enrollment.pk)  # a duplicate job: nothing more
    state = moodle.control.state()
    assert [u["email"] for u in state["users"]] == ["ada@learners.test"]
    assert len(state["enrolments"]) == 1
    row = Provision.objects.get(enrollment=enrollment)
    assert row.state == ProvisionState.PROVISIONED

    # Moodle says she completed it: the enrollment completes once, however often it is read.
    moodle.control.set_result(
        course_id=course["id"],
        user_id=int(state["users"][0]["id"]),
        completed=True,
        score=91,
        completed_at=int(timezone.now().timestamp()),
    )
    completions.completions_poll(offering_id=offering.pk)
    completions.completions_poll(offering_id=offering.pk)
    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.COMPLETED
    assert enrollment.completions.count() == 1


def test_a_cancelled_seat_is_taken_out_of_the_course(world, moodle, sent):
    moodle.control.add_course(name="Data Literacy", shortname="DL-101")
    connections.connection_save(
        tenant=world.a,
        access=staff_access(tenant=world.a, user=world.a_admin),
        unit_id=world.a_unit1.pk,
        kind=LmsKind.MOODLE,
        base_url=moodle.url,
        token=TOKEN,
        options={"student_role_id": 5},
    )
    offering = make_offering(world, course_ref="DL-101")
    ada = UserFactory.create(email="ada@learners.test")
    enrollment = enrol(world, offering, ada)
    provisioning.provision_sync(enrollment_id=enrollment.pk)
    assert len(moodle.control.state()["enrolments"]) == 1

    staff_cancel(
        tenant=world.a,
        access=staff_access(tenant=world.a, user=world.a_admin),
        actor=world.a_admin,
        enrollment_id=enrollment.pk,
        reason="Withdrew",
    )
    provisioning.provision_sync(enrollment_id=enrollment.pk)
    assert moodle.control.state()["enrolments"] == []
    assert Provision.objects.get(enrollment=enrollment).state == ProvisionState.DEPROVISIONED


def _spent(moodle, before: dict[str, int]) -> dict[str, int]:
    after = moodle.control.state()["requests"]
    return {k: v - before.get(k, 0) for k, v in after.items() if v != before.get(k, 0)}


def test_lms_calls_per_new_and_known_learner(world, moodle, sent):
    """Through the real job path and the real client factory (its course ids kept in the cache
    across jobs): the course's shortname is looked up once; then a new learner costs two calls
    (create, enrol) and a learner the LMS already knows (their LmsAccount) one (enrol)."""
    moodle.control.add_course(name="Data Literacy", shortname="DL-101")
    connections.connection_save(
        tenant=world.a,
        access=staff_access(tenant=world.a, user=world.a_admin),
        unit_id=world.a_unit1.pk,
        kind=LmsKind.MOODLE,
        base_url=moodle.url,
        token=TOKEN,
        options={},
    )
    spring = make_offering(world, course_ref="DL-101")
    autumn = make_offering(world, course_ref="DL-101")  # a later cohort in the same course
    ada, bo = UserFactory.create(email="ada@learners.test"), UserFactory.create(email="bo@learners.test")

    provisioning.provision_sync(enrollment_id=enrol(world, spring, ada).pk)
    assert moodle.control.state()["requests"] == {
        "core_course_get_courses_by_field": 1,  # once for the course, kept for every later job
        "core_user_create_users": 1,
        "enrol_manual_enrol_users": 1,
    }

    before = moodle.control.state()["requests"]
    provisioning.provision_sync(enrollment_id=enrol(world, spring, bo).pk)
    assert _spent(moodle, before) == {"core_user_create_users": 1, "enrol_manual_enrol_users": 1}

    before = moodle.control.state()["requests"]
    provisioning.provision_sync(enrollment_id=enrol(world, autumn, ada).pk)
    assert _spent(moodle, before) == {"enrol_manual_enrol_users": 1}

    assert Provision.objects.filter(state=ProvisionState.PROVISIONED).count() == 3
    assert len(moodle.control.state()["users"]) == 2
    assert len(moodle.control.state()["enrolments"]) == 2  # Ada once in the course, and Bo

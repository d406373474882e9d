"""Provisioning into the LMS course, as the learner, the unit's staff and the LMS would notice it:
in after confirmation, out after a cancellation (after the grace days), the access window's end
or a move; failures retried, then shown with the LMS's words and a Retry that loses nothing;
completions read back exactly once; the calendar file and My learning's links."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from access import tasks
from access.errors import ProvisionRetry
from access.models import LmsAccount, LmsKind, Provision, ProvisionState
from access.services import completions, provisioning
from enrollment import services
from enrollment.models import (
    CompletionRecord,
    CompletionSource,
    Enrollment,
    EnrollmentEvent,
    EnrollmentStatus,
)
from tenants.selectors import staff_access
from tests.access.conftest import enrol, make_connection, make_offering
from tests.factories import StaffRole, UserFactory, make_staff

P = ProvisionState
S = EnrollmentStatus
SYNC = provisioning.SYNC_TASK


@pytest.fixture
def setup(world, lms, sent, django_capture_on_commit_callbacks):
    """Unit 1 has a Moodle; its offering has the course DATA-101. The LMS double checks that no
    call is made inside a transaction (beyond the test's own)."""
    from django.db import connection

    make_connection(world, grace_days=0)
    offering = make_offering(world)
    lms.atomic_depth = len(connection.atomic_blocks)
    return offering


def confirm(world, offering, learner, capture):
    with capture(execute=True):
        return enrol(world, offering, learner)


def run_jobs(sent, **kwargs):
    """Run each sent provisioning job once, as the worker would (service, not Celery)."""
    ran = []
    while sent:
        name, args = sent.pop(0)
        if name == SYNC:
            ran.append(provisioning.provision_sync(enrollment_id=args[0], **kwargs))
    return ran


def cancel(world, enrollment):
    access = staff_access(tenant=world.a, user=world.a_unit1_admin)
    services.staff_cancel(
        tenant=world.a, access=access, actor=world.a_unit1_admin, enrollment_id=enrollment.pk, reason="Asked"
    )


def roster_text(world, offering) -> str:
    page = world.client_for(world.a_unit1_admin, world.a).get(reverse("console-roster", args=[offering.pk]))
    assert page.status_code == 200
    return str(page.content.decode())


def my_learning(world, learner) -> str:
    page = world.client_for(learner, world.a).get(reverse("my-learning"))
    assert page.status_code == 200
    return str(page.content.decode())


def test_a_confirmed_seat_is_provisioned_by_the_job_after_commit(
    world, setup, lms, sent, django_capture_on_commit_callbacks
):
    learner = world.learner
    enrollment = confirm(world, setup, learner, django_capture_on_commit_callbacks)

    # After the commit: the row says what should be, the job is sent; nothing called the LMS yet.
    assert sent == [(SYNC, (enrollment.pk,))]
    row = Provision.objects.get(enrollment=enrollment)
    assert (row.wanted, row.state, row.course_ref) == (True, P.PENDING, "DATA-101")
    assert lms.calls == []
    assert "Your course access is being set up; it usually takes a minute." in my_learning(world, learner)
    assert "LMS: Waiting to be added" in roster_text(world, setup)

    assert tasks.provision_sync(enrollment.pk) == 1

    assert lms.in_course(learner.email, "DATA-101")
    assert [c for c, _ in lms.calls] == ["user_ensure", "enrol"]  # a new learner: two calls
    assert lms.deeper == []  # no LMS call inside a transaction
    row.refresh_from_db()
    assert (row.state, row.remote_enrollment_id, row.last_error, row.claimed_at) == (
        P.PROVISIONED,
        "e1",
        "",
        None,
    )
    assert "LMS: In the course" in roster_text(world, setup)
    page = my_learning(world, learner)
    assert "Go to your course" in page
    assert "being set up" not in page

    # The same job again (a duplicate, a retry): nothing more is asked of the LMS.
    assert tasks.provision_sync(enrollment.pk) == 0
    assert len(lms.calls) == 2

    # The same learner in a second course of the unit: one call, the LMS user is known.
    other = make_offering(world, course_ref="DATA-201")
    second = confirm(world, other, learner, django_capture_on_commit_callbacks)
    run_jobs(sent)
    assert [c for c, _ in lms.calls[2:]] == ["enrol"]
    assert lms.in_course(learner.email, "DATA-201")
    assert LmsAccount.objects.filter(learner=learner).count() == 1
    assert Provision.objects.get(enrollment=second).state == P.PROVISIONED


def test_go_to_your_course_opens_the_lms_course_for_its_learner_only(
    world, setup, lms, sent, django_capture_on_commit_callbacks
):
    enrollment = confirm(world, setup, world.learner, django_capture_on_commit_callbacks)
    course = reverse("my-learning-course", args=[enrollment.pk])
    early = world.client_for(world.learner, world.a).get(course)
    assert early.status_code == 302  # not ready yet: back to My learning, with a message
    assert early["Location"].startswith(reverse("my-learning"))
    run_jobs(sent)

    page = my_learning(world, world.learner)
    assert f'href="{course}"' in page
    answer = world.client_for(world.learner, world.a).get(course)
    assert answer.status_code == 302
    assert answer["Location"] == "https://lms.example.test/course/view.php?name=DATA-101"
    assert world.client_for(UserFactory.create(), world.a).get(course).status_code == 404
    assert world.client_for(world.learner, world.b).get(course).status_code == 404


def test_cancelled_access_ends_after_the_grace_days(world, lms, sent, django_capture_on_commit_callbacks):
    make_connection(world, grace_days=3)
    offering = make_offering(world)
    enrollment = confirm(world, offering, world.learner, django_capture_on_commit_callbacks)
    run_jobs(sent)
    assert lms.in_course(world.learner.email, "DATA-101")

    # A refund cancels the seat the same way (payments cancels through enrollment's services).
    access = staff_access(tenant=world.a, user=world.a_unit1_admin)
    with django_capture_on_commit_callbacks(execute=True):
        services.staff_cancel(
            tenant=world.a,
            access=access,
            actor=world.a_unit1_admin,
            enrollment_id=enrollment.pk,
            reason="Asked",
        )
    row = Provision.objects.get(enrollment=enrollment)
    assert (row.wanted, row.state) == (False, P.DEPROVISION_DUE)
    assert row.deprovision_after is not None
    assert abs(row.deprovision_after - (timezone.now() + timedelta(days=3))) < timedelta(minutes=1)
    assert sent == []  # nothing due yet: no job
    assert "LMS: Access ending on" in roster_text(world, offering)
    assert "Your course access ends on" in my_learning(world, world.learner)

    # Before the grace ends the sweep finds nothing; after, it sends the job, which takes them out.
    assert provisioning.enrollments_due(now=timezone.now() + timedelta(days=2)) == []
    later = timezone.now() + timedelta(days=3, minutes=1)
    assert provisioning.enrollments_due(now=later) == [enrollment.pk]
    provisioning.provision_sync(enrollment_id=enrollment.pk, now=later)
    assert not lms.in_course(world.learner.email, "DATA-101")
    row.refresh_from_db()
    assert (row.state, row.deprovisioned_at is not None) == (P.DEPROVISIONED, True)
    assert "LMS: Removed from the course" in roster_text(world, offering)
    provisioning.provision_sync(enrollment_id=enrollment.pk, now=later)  # again: nothing more
    assert lms.count("unenrol") == 1


def test_without_grace_a_cancellation_takes_the_learner_out_at_once(
    world, setup, lms, sent, django_capture_on_commit_callbacks
):
    enrollment = confirm(world, setup, world.learner, django_capture_on_commit_callbacks)
    run_jobs(sent)
    with django_capture_on_commit_callbacks(execute=True):
        cancel(world, enrollment)
    assert sent == [(SYNC, (enrollment.pk,))]
    run_jobs(sent)
    assert not lms.in_course(world.learner.email, "DATA-101")
    assert Provision.objects.get(enrollment=enrollment).state == P.DEPROVISIONED


def test_a_seat_cancelled_before_its_job_ran_never_reaches_the_lms(
    world, setup, lms, sent, django_capture_on_commit_callbacks
):
    enrollment = confirm(world, setup, world.learner, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        cancel(world, enrollment)
    run_jobs(sent)
    assert lms.calls == []
    assert Provision.objects.get(enrollment=enrollment).state == P.DEPROVISIONED


def test_access_ends_when_the_window_runs_out(world, lms, sent, django_capture_on_commit_callbacks):
    """Expiry: the access window is the offering's end plus the grace days."""
    make_connection(world, grace_days=2)
    offering = make_offering(world)
    enrollment = confirm(world, offering, world.learner, django_capture_on_commit_callbacks)
    run_jobs(sent)
    assert provisioning.enrollments_due(now=offering.ends_at + timedelta(days=1)) == []
    after = offering.ends_at + timedelta(days=2, minutes=1)
    assert provisioning.enrollments_due(now=after) == [enrollment.pk]
    provisioning.provision_sync(enrollment_id=enrollment.pk, now=after)
    assert not lms.in_course(world.learner.email, "DATA-101")
    row = Provision.objects.get(enrollment=enrollment)
    assert (row.wanted, row.state) == (False, P.DEPROVISIONED)
    assert provisioning.enrollments_due(now=after) == []


def test_a_move_puts_the_learner_in_the_new_course_and_out_of_the_old(
    world, setup, lms, sent, django_capture_on_commit_callbacks
):
    enrollment = confirm(world, setup, world.learner, django_capture_on_commit_callbacks)
    run_jobs(sent)
    target = make_offering(world, course_ref="DATA-101-B", microcredential=setup.microcredential)
    access = staff_access(tenant=world.a, user=world.a_unit1_admin)
    with django_capture_on_commit_callbacks(execute=True):
        moved = services.enrollment_move(
            tenant=world.a,
            access=access,
            actor=world.a_unit1_admin,
            enrollment_id=enrollment.pk,
            to_offering_id=target.pk,
            reason="Evening cohort suits better",
        )
    run_jobs(sent)
    assert lms.in_course(world.learner.email, "DATA-101-B")
    assert not lms.in_course(world.learner.email, "DATA-101")
    assert Provision.objects.get(enrollment=moved).state == P.PROVISIONED
    assert Provision.objects.get(enrollment=enrollment).state == P.DEPROVISIONED
    assert lms.count("user_ensure") == 1


def test_an_lms_answering_500_is_retried_then_shown_as_failed_and_retry_loses_nothing(
    world, setup, lms, sent, django_capture_on_commit_callbacks
):
    lms.fail_always = "500"
    enrollment = confirm(world, setup, world.learner, django_capture_on_commit_callbacks)
    sent.clear()
    tasks.provision_sync.apply(args=(enrollment.pk,))  # the worker: retries, backing off, then gives up

    assert lms.count("user_ensure") == tasks.MAX_RETRIES + 1
    row = Provision.objects.get(enrollment=enrollment)
    assert (row.state, row.wanted, row.attempts) == (P.FAILED, True, tasks.MAX_RETRIES + 1)
    roster = roster_text(world, setup)
    assert "LMS: Failed, could not be added: Moodle answered 500 Internal Server Error" in roster
    assert "Retry adding to the LMS" in roster
    assert "We could not add you to the course yet; the unit has been told." in my_learning(
        world, world.learner
    )

    # The LMS recovers; staff press Retry: the learner is added.
    lms.fail_always = ""
    staff = world.client_for(world.a_unit1_admin, world.a)
    with django_capture_on_commit_callbacks(execute=True):
        answer = staff.post(reverse("console-provision-retry", args=[row.pk]))
    assert answer.status_code == 302
    assert sent == [(SYNC, (enrollment.pk,))]
    run_jobs(sent)
    assert lms.in_course(world.learner.email, "DATA-101")
    assert "LMS: In the course" in roster_text(world, setup)
    # Retrying what did not fail says so and changes nothing.
    again = staff.post(reverse("console-provision-retry", args=[row.pk]), follow=True)
    assert "Only a failed course access can be retried" in again.content.decode()


def test_a_timeout_keeps_the_row_pending_with_the_reason_and_the_next_try_adds_them(
    world, setup, lms, sent, django_capture_on_commit_callbacks
):
    lms.fail_next = ["timeout"]
    enrollment = confirm(world, setup, world.learner, django_capture_on_commit_callbacks)
    with pytest.raises(ProvisionRetry):
        provisioning.provision_sync(enrollment_id=enrollment.pk)
    row = Provision.objects.get(enrollment=enrollment)
    assert (row.state, row.claimed_at) == (P.PENDING, None)
    assert "trying again: Moodle did not answer within 10 seconds." in roster_text(world, setup)
    provisioning.provision_sync(enrollment_id=enrollment.pk)
    row.refresh_from_db()
    assert (row.state, row.last_error) == (P.PROVISIONED, "")
    assert lms.in_course(world.learner.email, "DATA-101")


def test_a_row_tried_too_often_by_several_jobs_is_marked_failed(
    world, setup, lms, sent, django_capture_on_commit_callbacks
):
    """The sweep may send a second job while the first backs off: attempts count across jobs."""
    lms.fail_always = "500"
    enrollment = confirm(world, setup, world.learner, django_capture_on_commit_callbacks)
    for _job in range(provisioning.MAX_ATTEMPTS - 1):
        with pytest.raises(ProvisionRetry):
            provisioning.provision_sync(enrollment_id=enrollment.pk)  # each its first try
    provisioning.provision_sync(enrollment_id=enrollment.pk)
    assert Provision.objects.get(enrollment=enrollment).state == P.FAILED


def test_a_wrong_token_fails_at_once_in_words(world, setup, lms, sent, django_capture_on_commit_callbacks):
    lms.fail_always = "token"
    enrollment = confirm(world, setup, world.learner, django_capture_on_commit_callbacks)
    provisioning.provision_sync(enrollment_id=enrollment.pk)  # no retry: trying again cannot help
    assert len(lms.calls) == 1
    row = Provision.objects.get(enrollment=enrollment)
    assert (row.state, row.last_error) == (
        P.FAILED,
        "Moodle refused the token (invalidtoken): check the connection.",
    )


def test_a_lost_job_and_a_lapsed_claim_are_found_by_the_sweep(
    world, setup, lms, sent, django_capture_on_commit_callbacks
):
    enrollment = confirm(world, setup, world.learner, django_capture_on_commit_callbacks)
    sent.clear()  # the broker lost it
    soon = timezone.now() + timedelta(minutes=provisioning.PENDING_STALE_MINUTES + 1)
    assert provisioning.enrollments_due() == []  # a fresh pending row: its job is on its way
    assert provisioning.enrollments_due(now=soon) == [enrollment.pk]
    tasks.provisions_due()
    # A worker claimed it and died: the claim lapses, then the sweep sends it again.
    Provision.objects.filter(enrollment=enrollment).update(claimed_at=timezone.now())
    assert provisioning.provision_sync(enrollment_id=enrollment.pk).done == 0  # claimed: left alone
    lapsed = timezone.now() + timedelta(minutes=provisioning.CLAIM_MINUTES + 1)
    assert provisioning.enrollments_due(now=lapsed) == [enrollment.pk]
    provisioning.provision_sync(enrollment_id=enrollment.pk, now=lapsed)
    assert lms.in_course(world.learner.email, "DATA-101")


def test_seats_from_before_the_lms_connection_are_found_by_the_sweep(
    world, lms, sent, django_capture_on_commit_callbacks
):
    offering = make_offering(world)
    enrollment = confirm(world, offering, world.learner, django_capture_on_commit_callbacks)
    assert sent == []  # no LMS yet: nothing to do
    assert provisioning.enrollments_due() == []
    make_connection(world, tenant_wide=True)  # the tenant's LMS, for every unit
    assert provisioning.enrollments_due() == [enrollment.pk]
    tasks.provisions_due()
    run_jobs(sent)
    assert lms.in_course(world.learner.email, "DATA-101")
    assert provisioning.enrollments_due() == []


def test_no_lms_course_or_a_roster_reading_lms_means_nothing_is_pushed(
    world, lms, sent, django_capture_on_commit_callbacks
):
    make_connection(world, kind=LmsKind.ONEROSTER)
    make_connection(world, tenant_wide=True)  # the tenant's Moodle: unit 1 has its own (OneRoster)
    enrollment = confirm(world, make_offering(world), world.learner, django_capture_on_commit_callbacks)
    other = confirm(
        world, make_offering(world, course_ref=""), UserFactory.create(), django_capture_on_commit_callbacks
    )
    run_jobs(sent)
    assert provisioning.enrollments_due() == []  # and the sweep does not keep sending them
    assert not Provision.objects.filter(enrollment__in=[enrollment, other]).exists()
    assert lms.calls == []


def test_completion_polled_from_the_lms_completes_the_enrollment_exactly_once(
    world, setup, lms, sent, django_capture_on_commit_callbacks
):
    enrollment = confirm(world, setup, world.learner, django_capture_on_commit_callbacks)
    bystander = confirm(world, setup, UserFactory.create(), django_capture_on_commit_callbacks)
    run_jobs(sent)
    lms.complete(world.learner.email, "DATA-101", result="B+")

    first = completions.completions_poll()
    second = completions.completions_poll()
    assert (first.recorded, second.recorded) == (1, 0)

    enrollment.refresh_from_db()
    assert enrollment.status == S.COMPLETED
    record = CompletionRecord.objects.get(enrollment=enrollment)
    assert (record.result, record.source, record.actor_id) == ("B+", CompletionSource.LMS, None)
    assert EnrollmentEvent.objects.filter(enrollment=enrollment, action="completed").count() == 1
    assert Enrollment.objects.get(pk=bystander.pk).status == S.CONFIRMED

    # Staff's "read now" on the roster sends the offering's poll; it records nothing new.
    staff = world.client_for(world.a_unit1_admin, world.a)
    assert "Read completions from the LMS now" in roster_text(world, setup)
    answer = staff.post(reverse("console-completions-read", args=[setup.pk]))
    assert answer.status_code == 302
    assert sent == [(completions.POLL_OFFERING_TASK, (setup.pk,))]
    assert tasks.completions_poll_offering(setup.pk) == 0
    assert CompletionRecord.objects.filter(enrollment=enrollment).count() == 1
    assert lms.deeper == []


def test_what_staff_recorded_is_not_overwritten_by_the_lms(
    world, setup, lms, sent, django_capture_on_commit_callbacks
):
    enrollment = confirm(world, setup, world.learner, django_capture_on_commit_callbacks)
    run_jobs(sent)
    access = staff_access(tenant=world.a, user=world.a_unit1_admin)
    services.completion_record_staff(
        tenant=world.a,
        access=access,
        actor=world.a_unit1_admin,
        enrollment_id=enrollment.pk,
        outcome="completed",
        result="A",
    )
    lms.complete(world.learner.email, "DATA-101", result="C")
    assert completions.completions_poll().recorded == 0
    assert list(CompletionRecord.objects.filter(enrollment=enrollment).values_list("result", flat=True)) == [
        "A"
    ]


def test_the_calendar_file_has_the_course_dates_for_its_learner_only(
    world, setup, lms, sent, django_capture_on_commit_callbacks
):
    enrollment = confirm(world, setup, world.learner, django_capture_on_commit_callbacks)
    url = reverse("my-learning-calendar", args=[enrollment.pk])
    assert f'href="{url}"' in my_learning(world, world.learner)
    assert "Add to calendar" in my_learning(world, world.learner)

    answer = world.client_for(world.learner, world.a).get(url)
    assert answer.status_code == 200
    assert answer["Content-Type"].startswith("text/calendar")
    assert "attachment" in answer["Content-Disposition"]
    event = Calendar.from_ical(answer.content).walk("VEVENT")[0]
    assert str(event["SUMMARY"]).startswith(setup.microcredential.title)
    assert event.decoded("DTSTART") == setup.starts_at.replace(microsecond=0)
    assert event.decoded("DTEND") == setup.ends_at.replace(microsecond=0)
    assert str(event["UID"]) == f"enrollment-{enrollment.pk}@alpha.test"
    assert str(event["URL"]).endswith(reverse("offering-detail", args=[setup.pk]))

    assert world.client_for(UserFactory.create(), world.a).get(url).status_code == 404
    assert world.client_for(world.learner, world.b).get(url).status_code == 404
    assert world.client_for(None, world.a).get(url).status_code == 302  # to sign-in


def test_retry_and_read_now_are_for_the_offerings_unit_staff_only(
    world, setup, lms, sent, django_capture_on_commit_callbacks
):
    lms.fail_always = "token"
    enrollment = confirm(world, setup, world.learner, django_capture_on_commit_callbacks)
    run_jobs(sent)
    row = Provision.objects.get(enrollment=enrollment)
    retry = reverse("console-provision-retry", args=[row.pk])
    read = reverse("console-completions-read", args=[setup.pk])
    for user, tenant in ((world.b_admin, world.b), (world.learner, world.a)):
        client = world.client_for(user, tenant)
        assert client.post(retry).status_code == 404
        assert client.post(read).status_code == 404
    other_unit = world.client_for(make_staff(world.a, StaffRole.UNIT_ADMIN, [world.a_unit2]), world.a)
    assert other_unit.post(retry).status_code == 404
    assert world.client_for(world.a_unit1_admin, world.a).get(retry).status_code == 405
    row.refresh_from_db()
    assert row.state == P.FAILED

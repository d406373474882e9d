"""Completion as a state change: first records, corrections, idempotency, the history the
database keeps, credits snapshotted, and the listeners told once after commit."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from catalog.models import Offering
from core.registry import Registry
from enrollment import extensions, services
from enrollment.errors import CompletionRefused, EnrollmentInvalid, TransitionRefused
from enrollment.extensions import CompletionChanged
from enrollment.models import CompletionRecord, Enrollment, EnrollmentEvent, EnrollmentStatus
from tenants.errors import NotVisible
from tenants.selectors import staff_access
from tests.enrollment.conftest import make_offering
from tests.factories import UserFactory

S = EnrollmentStatus
pytestmark = pytest.mark.django_db


def started_offering(world, learners, **fields):
    """A free offering these learners enrolled in, which started ten days ago."""
    offering = make_offering(
        world,
        capacity=max(len(learners), 1) + 2,
        microcredential__credit_value=Decimal("3.00"),
        microcredential__credit_type="ceu",
        microcredential__level="advanced",
        **fields,
    )
    enrollments = [
        services.enrollment_create(tenant=world.a, learner=learner, offering_id=offering.pk).enrollment
        for learner in learners
    ]
    Offering.objects.filter(pk=offering.pk).update(
        enrollment_opens_at=timezone.now() - timedelta(days=20),
        enrollment_closes_at=timezone.now() - timedelta(days=11),
        starts_at=timezone.now() - timedelta(days=10),
        ends_at=timezone.now() + timedelta(days=1),
    )
    offering.refresh_from_db()
    return offering, enrollments


@pytest.fixture
def started(world):
    """A free offering that started ten days ago, with one confirmed learner."""
    offering, (enrollment,) = started_offering(world, [world.learner])
    return offering, enrollment


@pytest.fixture
def heard(monkeypatch):
    """What the completion listeners hear (they run after commit)."""
    calls: list[CompletionChanged] = []
    monkeypatch.setattr(extensions, "completion_listeners", Registry("test listener"))
    extensions.completion_listeners.register("test", calls.append)
    return calls


def record(world, enrollment, **fields):
    defaults = {
        "tenant": world.a,
        "enrollment_id": enrollment.pk,
        "outcome": "completed",
        "source": "staff",
        "actor": world.a_unit1_admin,
    }
    return services.completion_record(**{**defaults, **fields})


def yesterday() -> date:
    return (timezone.now() - timedelta(days=1)).date()


def test_completed_moves_to_completed_with_credits_and_event(
    world, started, heard, django_capture_on_commit_callbacks
):
    _offering, enrollment = started
    with django_capture_on_commit_callbacks(execute=True):
        done = record(world, enrollment, result="A", on=yesterday())
    enrollment.refresh_from_db()
    assert enrollment.status == S.COMPLETED
    assert done.changed
    rec = done.record
    assert (rec.result, rec.completed_on, rec.credit_value, rec.credit_type, rec.level) == (
        "A",
        yesterday(),
        Decimal("3.00"),
        "ceu",
        "advanced",
    )
    event = enrollment.events.last()
    assert (event.action, event.from_status, event.to_status) == ("completed", "confirmed", "completed")
    assert event.details["result"] == "A"
    assert heard == [
        CompletionChanged(
            tenant_id=world.a.pk,
            enrollment_id=enrollment.pk,
            completed=True,
            corrected=False,
            reason="",
            actor_id=world.a_unit1_admin.pk,
        )
    ]


def test_credits_are_a_snapshot(world, started):
    offering, enrollment = started
    record(world, enrollment)
    microcredential = offering.microcredential
    microcredential.credit_value = Decimal("9.00")
    microcredential.save()
    assert CompletionRecord.objects.get(enrollment=enrollment).credit_value == Decimal("3.00")


def test_not_completed_keeps_confirmed_but_stores_outcome(
    world, started, heard, django_capture_on_commit_callbacks
):
    _offering, enrollment = started
    with django_capture_on_commit_callbacks(execute=True):
        done = record(world, enrollment, outcome="not_completed", result="Fail")
    enrollment.refresh_from_db()
    assert enrollment.status == S.CONFIRMED
    assert (done.record.outcome, done.record.credit_value) == ("not_completed", Decimal(0))
    assert enrollment.events.last().action == "not_completed"
    assert [c.completed for c in heard] == [False]


def test_the_same_again_changes_nothing_and_tells_nobody(
    world, started, heard, django_capture_on_commit_callbacks
):
    _offering, enrollment = started
    record(world, enrollment, result="Pass", on=yesterday())
    events = EnrollmentEvent.objects.count()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        again = record(world, enrollment, result=" Pass ", on=yesterday(), source="lms", actor=None)
    assert not again.changed
    assert CompletionRecord.objects.count() == 1
    assert EnrollmentEvent.objects.count() == events
    assert callbacks == []
    assert heard == []


def test_correction_needs_a_reason(world, started):
    _offering, enrollment = started
    record(world, enrollment, result="B")
    with pytest.raises(EnrollmentInvalid) as refused:
        record(world, enrollment, result="A")
    assert "reason" in refused.value.fields
    assert CompletionRecord.objects.count() == 1


def test_correct_completed_to_not_completed_and_back(
    world, started, heard, django_capture_on_commit_callbacks
):
    _offering, enrollment = started
    first = record(world, enrollment, result="B").record
    with django_capture_on_commit_callbacks(execute=True):
        second = record(world, enrollment, outcome="not_completed", reason="Marked the wrong learner").record
    enrollment.refresh_from_db()
    assert enrollment.status == S.CONFIRMED
    assert second.replaces == first
    event = enrollment.events.last()
    assert (event.action, event.from_status, event.to_status, event.reason) == (
        "completion_corrected",
        "completed",
        "confirmed",
        "Marked the wrong learner",
    )
    with django_capture_on_commit_callbacks(execute=True):
        third = record(world, enrollment, result="A", reason="Re-sat the exam").record
    enrollment.refresh_from_db()
    assert enrollment.status == S.COMPLETED
    assert third.replaces == second
    assert [(c.completed, c.corrected, c.reason) for c in heard] == [
        (False, True, "Marked the wrong learner"),
        (True, True, "Re-sat the exam"),
    ]
    assert services.completion.current_record(enrollment.pk) == third


def test_correcting_result_keeps_completed(world, started):
    _offering, enrollment = started
    record(world, enrollment, result="B")
    record(world, enrollment, result="A", reason="Regraded")
    enrollment.refresh_from_db()
    assert enrollment.status == S.COMPLETED
    assert enrollment.events.last().from_status == enrollment.events.last().to_status == "completed"
    assert list(CompletionRecord.objects.values_list("result", flat=True)) == ["B", "A"]


@pytest.mark.parametrize("status", [S.WAITLISTED, S.CANCELLED, S.OFFERED])
def test_only_confirmed_learners_complete(world, status):
    offering, _ = started_offering(world, [])
    expiry = {"offer_expires_at": timezone.now() + timedelta(hours=1)} if status == S.OFFERED else {}
    enrollment = Enrollment.objects.create(
        tenant=world.a, offering=offering, learner=world.learner, status=status, **expiry
    )
    with pytest.raises(CompletionRefused):
        record(world, enrollment)
    assert not CompletionRecord.objects.exists()


def test_date_not_in_future_nor_before_start(world, started):
    offering, enrollment = started
    with pytest.raises(EnrollmentInvalid, match="future"):
        record(world, enrollment, on=timezone.now().date() + timedelta(days=2))
    with pytest.raises(EnrollmentInvalid, match="before the offering starts"):
        record(world, enrollment, on=(offering.starts_at - timedelta(days=2)).date())
    assert not CompletionRecord.objects.exists()


def test_result_is_short(world, started):
    _offering, enrollment = started
    with pytest.raises(EnrollmentInvalid):
        record(world, enrollment, result="x" * 41)


def test_rolled_back_change_tells_nobody(world, started, heard, django_capture_on_commit_callbacks):
    _offering, enrollment = started

    def fail_after_recording():
        with transaction.atomic():
            record(world, enrollment)
            raise RuntimeError("the caller's transaction fails")

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        fail_after_recording()
    assert heard == []
    assert not CompletionRecord.objects.exists()
    enrollment.refresh_from_db()
    assert enrollment.status == S.CONFIRMED


def test_the_database_keeps_the_history(world, started):
    _offering, enrollment = started
    first = record(world, enrollment).record
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        CompletionRecord.objects.filter(pk=first.pk).update(result="forged")
    with pytest.raises(IntegrityError), transaction.atomic():  # a second first record
        CompletionRecord.objects.create(
            tenant=world.a,
            enrollment=enrollment,
            outcome="completed",
            completed_on=yesterday(),
            credit_value=0,
            credit_type="ceu",
            level="introductory",
            source="lms",
        )
    with pytest.raises(IntegrityError), transaction.atomic():  # a correction without reason
        CompletionRecord.objects.create(
            tenant=world.a,
            enrollment=enrollment,
            replaces=first,
            outcome="not_completed",
            completed_on=yesterday(),
            credit_value=0,
            credit_type="ceu",
            level="introductory",
            source="lms",
        )


def test_completed_enrollment_is_not_confirmed_by_any_other_path(world, started):
    _offering, enrollment = started
    record(world, enrollment)
    enrollment.refresh_from_db()
    with pytest.raises(TransitionRefused):
        services._common.transition(enrollment, S.CONFIRMED, actor=None, action="x", now=timezone.now())


def test_staff_of_another_unit_cannot_record(world, started):
    _offering, enrollment = started
    access = staff_access(tenant=world.a, user=world.a_finance_unit2)
    with pytest.raises(NotVisible):
        services.completion_record_staff(
            tenant=world.a,
            access=access,
            actor=world.a_finance_unit2,
            enrollment_id=enrollment.pk,
            outcome="completed",
        )
    with pytest.raises(NotVisible):
        services.completion_record(
            tenant=world.b, enrollment_id=enrollment.pk, outcome="completed", source="lms", actor=None
        )


def test_a_correction_stays_within_its_enrollment(world):
    _offering, (ann, bob) = started_offering(world, [UserFactory.create(), UserFactory.create()])
    anns = record(world, ann).record
    with pytest.raises(IntegrityError, match="same enrollment"), transaction.atomic():
        CompletionRecord.objects.create(
            tenant=world.a,
            enrollment=bob,
            replaces=anns,
            outcome="not_completed",
            completed_on=yesterday(),
            credit_value=0,
            credit_type="ceu",
            level="introductory",
            source="lms",
            reason="forged",
        )


def test_bulk_tells_listeners_once_per_saved_learner(world, heard, django_capture_on_commit_callbacks):
    people = [UserFactory.create() for _ in range(3)]
    offering, (a, b, c) = started_offering(world, people)
    record(world, a, on=yesterday())  # already recorded so: unchanged, not told again
    heard.clear()
    with django_capture_on_commit_callbacks(execute=True):
        report = services.completions_apply(
            tenant=world.a,
            access=staff_access(tenant=world.a, user=world.a_unit1_admin),
            actor=world.a_unit1_admin,
            offering_id=offering.pk,
            wanted=[services.Wanted(enrollment_id=e.pk, on=yesterday()) for e in (a, b, c)],
        )
    assert (len(report.saved), len(report.unchanged), report.refused) == (2, 1, [])
    assert sorted(change.enrollment_id for change in heard) == sorted([b.pk, c.pk])


@pytest.mark.parametrize("size", [3, 12])
def test_checking_a_file_takes_as_many_queries_whatever_its_length(
    world, size, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    """Every line is checked before anything is saved; the check reads each learner's current
    record once for the whole file, not once a line (half the learners have one already)."""
    people = [UserFactory.create() for _ in range(size)]
    offering, enrollments = started_offering(world, people)
    for enrollment in enrollments[::2]:
        record(world, enrollment, on=yesterday())
    wanted = [
        services.Wanted(line=n, enrollment_id=e.pk, on=yesterday(), result="A")
        for n, e in enumerate(enrollments)
    ]
    wanted.append(
        services.Wanted(line=size, email="nobody@example.test", on=yesterday())
    )  # refused: nothing saved
    access = staff_access(tenant=world.a, user=world.a_unit1_admin)
    with django_assert_max_num_queries(12):
        report = services.completions_apply(
            tenant=world.a, access=access, actor=world.a_unit1_admin, offering_id=offering.pk, wanted=wanted
        )
    assert not report.applied
    assert len(report.refused) == 1 + len(enrollments[::2])  # the stranger, and corrections without a reason
    assert len(report.not_saved) == size - len(enrollments[::2])


@pytest.mark.parametrize("size", [3, 12])
def test_saving_a_file_takes_as_many_statements_whatever_its_length(
    world, size, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    """The good lines are written together: the enrollments locked in one statement, then the
    records, the new states and the events each in one."""
    offering, enrollments = started_offering(world, [UserFactory.create() for _ in range(size)])
    access = staff_access(tenant=world.a, user=world.a_unit1_admin)
    wanted = [services.Wanted(enrollment_id=e.pk, on=yesterday(), result="B") for e in enrollments]
    with django_assert_max_num_queries(20):
        report = services.completions_apply(
            tenant=world.a, access=access, actor=world.a_unit1_admin, offering_id=offering.pk, wanted=wanted
        )
    assert len(report.saved) == size
    assert set(Enrollment.objects.filter(offering=offering).values_list("status", flat=True)) == {S.COMPLETED}
    assert EnrollmentEvent.objects.filter(enrollment__in=enrollments, action="completed").count() == size


def test_a_file_the_database_refuses_in_bulk_is_saved_row_by_row(world, heard, monkeypatch):
    """Only a write that bypassed the locks makes the database refuse the bulk write; then each
    line is saved (or refused) on its own, as before."""
    offering, enrollments = started_offering(world, [UserFactory.create() for _ in range(3)])
    real = CompletionRecord.objects.bulk_create

    def refuse(objs, *args, **kwargs):
        if len(objs) > 1:
            raise IntegrityError("duplicate key value violates unique constraint")
        return real(objs, *args, **kwargs)

    monkeypatch.setattr(CompletionRecord.objects, "bulk_create", refuse)
    report = services.completions_apply(
        tenant=world.a,
        access=staff_access(tenant=world.a, user=world.a_unit1_admin),
        actor=world.a_unit1_admin,
        offering_id=offering.pk,
        wanted=[services.Wanted(enrollment_id=e.pk, on=yesterday(), result="A") for e in enrollments],
        mode=services.GOOD_ROWS,
    )
    assert (len(report.saved), report.refused, report.unchanged) == (3, [], [])
    assert CompletionRecord.objects.filter(enrollment__in=enrollments).count() == 3
    assert EnrollmentEvent.objects.filter(enrollment__in=enrollments, action="completed").count() == 3

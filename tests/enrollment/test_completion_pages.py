"""Completion in the console: one learner on the roster, several at once, a CSV upload in both
modes (what was saved, what was refused and why, by line), bad files; who may; what the learner
sees on My learning."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from enrollment import services
from enrollment.models import CompletionRecord, Enrollment, EnrollmentStatus
from enrollment.services import completion_file
from tests.enrollment.conftest import make_offering
from tests.enrollment.test_completion import started_offering
from tests.factories import UserFactory

S = EnrollmentStatus
pytestmark = pytest.mark.django_db


@pytest.fixture
def course(world):
    people = [
        UserFactory.create(email=f"{n}@example.test", full_name=n.title()) for n in ("ann", "bob", "cy")
    ]
    offering, enrollments = started_offering(world, people)
    return offering, enrollments


def on(days_ago: int = 1) -> str:
    return (timezone.now() - timedelta(days=days_ago)).date().isoformat()


def status_of(enrollment) -> str:
    enrollment.refresh_from_db()
    return str(enrollment.status)


def upload(
    client, offering, text: str | bytes, mode: str = "all_or_nothing", name="completions.csv", reason=""
):
    data = text.encode() if isinstance(text, str) else text
    return client.post(
        f"/console/offerings/{offering.pk}/roster/completions/upload/",
        {"file": SimpleUploadedFile(name, data, content_type="text/csv"), "mode": mode, "reason": reason},
    )


def test_roster_offers_completion_and_shows_it(world, course):
    offering, (ann, _bob, _cy) = course
    client = world.client_for(world.a_unit1_admin, world.a)
    response = client.post(
        f"/console/enrollments/{ann.pk}/completion/", {"outcome": "completed", "result": "A", "date": on()}
    )
    assert response.status_code == 302
    assert status_of(ann) == S.COMPLETED
    body = client.get(f"/console/offerings/{offering.pk}/roster/").content.decode()
    completed = body.split('id="section-completed"')[1].split("</section>")[0]
    assert "ann@example.test" in completed
    assert f"Completed on {on()} · Result: A · 3.00 Continuing education units (CEU)" in completed
    assert "Correct the completion" in completed
    assert "1 completed" in body


def test_correction_on_the_roster_needs_a_reason(world, course):
    _offering, (ann, _bob, _cy) = course
    client = world.client_for(world.a_unit1_admin, world.a)
    url = f"/console/enrollments/{ann.pk}/completion/"
    client.post(url, {"outcome": "completed", "result": "B", "date": on()})
    response = client.post(url, {"outcome": "not_completed", "date": on()}, follow=True)
    assert "say why you correct it" in response.content.decode()
    assert status_of(ann) == S.COMPLETED
    client.post(url, {"outcome": "not_completed", "date": on(), "reason": "Wrong learner"})
    assert status_of(ann) == S.CONFIRMED
    assert CompletionRecord.objects.filter(enrollment=ann).count() == 2


def test_future_date_is_refused_with_a_message(world, course):
    _offering, (ann, _bob, _cy) = course
    client = world.client_for(world.a_unit1_admin, world.a)
    future = (timezone.now() + timedelta(days=3)).date().isoformat()
    response = client.post(
        f"/console/enrollments/{ann.pk}/completion/", {"outcome": "completed", "date": future}, follow=True
    )
    assert "cannot be in the future" in response.content.decode()
    assert status_of(ann) == S.CONFIRMED


def test_bulk_completes_the_selected(world, course):
    offering, (ann, bob, cy) = course
    client = world.client_for(world.a_unit1_admin, world.a)
    response = client.post(
        f"/console/offerings/{offering.pk}/roster/complete/",
        {"enrollment": [ann.pk, bob.pk], "result": "Pass", "date": on(2)},
        follow=True,
    )
    assert "2 learners recorded as completed" in response.content.decode()
    assert [status_of(e) for e in (ann, bob, cy)] == [S.COMPLETED, S.COMPLETED, S.CONFIRMED]
    assert set(CompletionRecord.objects.values_list("result", "source")) == {("Pass", "staff")}


def test_bulk_is_all_or_nothing(world, course):
    offering, (ann, bob, _cy) = course
    services.staff_cancel(
        tenant=world.a,
        access=_access(world),
        actor=world.a_unit1_admin,
        enrollment_id=bob.pk,
        reason="left",
    )
    client = world.client_for(world.a_unit1_admin, world.a)
    response = client.post(
        f"/console/offerings/{offering.pk}/roster/complete/", {"enrollment": [ann.pk, bob.pk]}, follow=True
    )
    assert "Nothing was saved" in response.content.decode()
    assert "bob@example.test" in response.content.decode()
    assert status_of(ann) == S.CONFIRMED
    assert not CompletionRecord.objects.exists()


def _access(world):
    from tenants.selectors import staff_access

    return staff_access(tenant=world.a, user=world.a_unit1_admin)


GOOD_AND_BAD = (
    "email,result,date\n"
    "ann@example.test,A,{d}\n"  # line 2: good
    "nobody@example.test,B,{d}\n"  # line 3: unknown learner
    "bob@example.test,B,31/12/2026\n"  # line 4: bad date
    "ann@example.test,A,{d}\n"  # line 5: duplicate of line 2
    "outsider@example.test,C,{d}\n"  # line 6: a learner, not in this offering
    "cy@example.test,Pass,{d}\n"  # line 7: good
)


@pytest.fixture
def outsider(world):
    other = make_offering(world)
    learner = UserFactory.create(email="outsider@example.test")
    services.enrollment_create(tenant=world.a, learner=learner, offering_id=other.pk)
    return learner


def test_csv_all_or_nothing_saves_nothing_and_says_why(world, course, outsider):
    offering, (ann, _bob, cy) = course
    client = world.client_for(world.a_unit1_admin, world.a)
    response = upload(client, offering, GOOD_AND_BAD.format(d=on()))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Mode: all or nothing." in body
    assert "Nothing was saved: 4 lines were refused." in body
    refused = body.split('id="refused-heading"')[1].split("</table>")[0]
    for line, why in [
        (3, "No learner with this e-mail address in your offerings."),
        (4, "is not a date: write it as YYYY-MM-DD."),
        (5, "Duplicate: this learner is already on line 2."),
        (6, "This learner is not enrolled in this offering."),
    ]:
        assert f"<td>{line}</td>" in refused
        assert why in refused
    not_saved = body.split('id="not-saved-heading"')[1].split("</table>")[0]
    assert "ann@example.test" in not_saved
    assert "cy@example.test" in not_saved
    assert not CompletionRecord.objects.exists()
    assert status_of(ann) == status_of(cy) == S.CONFIRMED


def test_csv_good_rows_saves_the_good_ones(world, course, outsider):
    offering, (ann, bob, cy) = course
    client = world.client_for(world.a_unit1_admin, world.a)
    body = upload(client, offering, GOOD_AND_BAD.format(d=on()), mode="good_rows").content.decode()
    assert "Mode: save only the good lines." in body
    assert "2 completions saved." in body
    assert "4 lines were refused and not saved." in body
    saved = body.split('id="saved-heading"')[1].split("</table>")[0]
    assert "ann@example.test" in saved
    assert "cy@example.test" in saved
    assert "bob@example.test" not in saved
    assert [status_of(e) for e in (ann, bob, cy)] == [S.COMPLETED, S.CONFIRMED, S.COMPLETED]
    assert set(CompletionRecord.objects.values_list("source", flat=True)) == {"csv"}


def test_csv_by_enrollment_id_with_outcome_and_reupload_is_idempotent(world, course):
    offering, (ann, bob, _cy) = course
    client = world.client_for(world.a_unit1_admin, world.a)
    text = (
        "enrollment_id,outcome,result,date\n"
        f"{ann.pk},completed,87/100,{on()}\n"
        f"{bob.pk},not_completed,,{on()}\n"
    )
    body = upload(client, offering, text).content.decode()
    assert "2 completions saved." in body
    assert (status_of(ann), status_of(bob)) == (S.COMPLETED, S.CONFIRMED)
    assert CompletionRecord.objects.get(enrollment=bob).outcome == "not_completed"
    body = upload(client, offering, text).content.decode()
    assert "0 completions saved." in body
    assert "2 lines were already recorded so" in body
    assert CompletionRecord.objects.count() == 2


def test_csv_changing_a_record_needs_the_reason(world, course):
    offering, (ann, _bob, _cy) = course
    client = world.client_for(world.a_unit1_admin, world.a)
    upload(client, offering, f"email,result,date\nann@example.test,B,{on()}\n")
    body = upload(client, offering, f"email,result,date\nann@example.test,A,{on()}\n").content.decode()
    assert "say why you correct it" in body
    body = upload(
        client, offering, f"email,result,date\nann@example.test,A,{on()}\n", reason="Regraded"
    ).content.decode()
    assert "1 completion saved." in body
    assert list(CompletionRecord.objects.filter(enrollment=ann).values_list("result", flat=True)) == [
        "B",
        "A",
    ]


def test_csv_the_roster_download_can_come_back(world, course):
    """The roster's own CSV, with a result and a date column added, is a valid upload."""
    offering, (ann, bob, cy) = course
    client = world.client_for(world.a_unit1_admin, world.a)
    raw = b"".join(client.get(f"/console/offerings/{offering.pk}/roster.csv").streaming_content).decode()
    lines = raw.splitlines()
    text = "\n".join([lines[0] + ",result,date"] + [line + f",Pass,{on()}" for line in lines[1:]]) + "\n"
    body = upload(client, offering, text.encode("utf-8")).content.decode()
    assert "3 completions saved." in body
    assert {status_of(e) for e in (ann, bob, cy)} == {S.COMPLETED}
    again = b"".join(client.get(f"/console/offerings/{offering.pk}/roster.csv").streaming_content).decode()
    table = list(csv.reader(io.StringIO(again.lstrip("\ufeff"))))
    assert table[0][-4:] == ["completion", "completion_result", "completion_date", "credits"]
    assert {tuple(row[-4:]) for row in table[1:]} == {("completed", "Pass", on(), "3.00 ceu")}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "file is empty."),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "This is not a CSV file."),
        ("email,result,date\nzoë@example.test,A,2026-01-01\n".encode("latin-1"), "not in UTF-8"),
        (b"name,grade\nAnn,A\n", "must name the columns"),
        (b"email,result\nann@example.test,A\n", "no “date” column"),
        (b"email,result,date\n", "has no learners in it"),
    ],
)
def test_bad_files_get_a_clear_error(world, course, data, message):
    offering, _ = course
    client = world.client_for(world.a_unit1_admin, world.a)
    response = upload(client, offering, data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not CompletionRecord.objects.exists()


def test_large_files_are_capped(world, course, monkeypatch):
    offering, _ = course
    client = world.client_for(world.a_unit1_admin, world.a)
    monkeypatch.setattr(completion_file, "MAX_ROWS", 2)
    text = "email,date\n" + "".join(f"x{n}@example.test,{on()}\n" for n in range(3))
    response = upload(client, offering, text)
    assert response.status_code == 400
    assert "more than 2 learners" in response.content.decode()
    monkeypatch.setattr(completion_file, "MAX_BYTES", 100)
    monkeypatch.setattr("enrollment.console_completion.MAX_BYTES", 100)
    response = upload(client, offering, "email,date\n" + "a" * 200)
    assert response.status_code == 400
    assert "larger than" in response.content.decode()


def test_upload_page_renders(world, course):
    offering, _ = course
    body = world.client_for(world.a_unit1_admin, world.a).get(
        f"/console/offerings/{offering.pk}/roster/completions/upload/"
    )
    assert body.status_code == 200
    assert "Save nothing (all or nothing)" in body.content.decode()


@pytest.mark.parametrize("who", ["a_finance_unit2", "learner"])
def test_others_get_404(world, course, who):
    offering, (ann, _bob, _cy) = course
    client = world.client_for(getattr(world, who), world.a)
    assert (
        client.post(f"/console/enrollments/{ann.pk}/completion/", {"outcome": "completed"}).status_code == 404
    )
    assert (
        client.post(
            f"/console/offerings/{offering.pk}/roster/complete/", {"enrollment": [ann.pk]}
        ).status_code
        == 404
    )
    assert upload(client, offering, f"email,date\nann@example.test,{on()}\n").status_code == 404
    assert status_of(ann) == S.CONFIRMED


def test_other_units_admin_and_other_tenant_get_404(world, course):
    _offering, (ann, _bob, _cy) = course
    unit2_offering, (stranger,) = started_offering(
        world, [UserFactory.create()], microcredential__unit=world.a_unit2
    )
    client = world.client_for(world.a_unit1_admin, world.a)
    assert (
        client.post(f"/console/enrollments/{stranger.pk}/completion/", {"outcome": "completed"}).status_code
        == 404
    )
    assert upload(client, unit2_offering, "email,date\n").status_code == 404
    other_tenant = world.client_for(world.b_admin, world.b)
    assert (
        other_tenant.post(f"/console/enrollments/{ann.pk}/completion/", {"outcome": "completed"}).status_code
        == 404
    )
    assert not CompletionRecord.objects.exists()


def test_my_learning_shows_completion(world, course):
    _offering, (ann, _bob, _cy) = course
    services.completion_record(
        tenant=world.a,
        enrollment_id=ann.pk,
        outcome="completed",
        result="A",
        on=None,
        source="lms",
        actor=None,
    )
    learner = Enrollment.objects.get(pk=ann.pk).learner
    body = world.client_for(learner, world.a).get("/my/learning/").content.decode()
    item = body.split(f'id="enrollment-{ann.pk}"')[1].split("</li>")[0]
    assert "Completed" in item
    assert "Result: A" in item
    assert f"{Decimal('3.00')} Continuing education units (CEU)" in item


def test_csv_refusals_do_not_reveal_other_units_learners(world, course):
    offering, _ = course
    _other, (stranger,) = started_offering(
        world, [UserFactory.create(email="stranger@example.test")], microcredential__unit=world.a_unit2
    )
    client = world.client_for(world.a_unit1_admin, world.a)
    text = f"email,enrollment_id,date\nstranger@example.test,,{on()}\n,{stranger.pk},{on()}\n"
    body = upload(client, offering, text, mode="good_rows").content.decode()
    refused = body.split('id="refused-heading"')[1].split("</table>")[0]
    assert "No learner with this e-mail address in your offerings." in refused
    assert "No enrollment with this id." in refused
    assert "not in this offering" not in refused
    assert "not enrolled in this offering" not in refused

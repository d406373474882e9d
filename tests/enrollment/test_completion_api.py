"""Completion through the staff API: one (idempotent, corrections), bulk and CSV with their
report, the error shape, other units and tenants (404), and the OpenAPI schema."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from enrollment.models import CompletionRecord, EnrollmentStatus
from tests.enrollment.test_api import api
from tests.enrollment.test_completion import started_offering
from tests.factories import UserFactory

S = EnrollmentStatus
pytestmark = pytest.mark.django_db


@pytest.fixture
def course(world):
    people = [UserFactory.create(email=f"{n}@example.test") for n in ("ann", "bob")]
    return started_offering(world, people)


def day(days_ago: int = 1) -> str:
    return (timezone.now() - timedelta(days=days_ago)).date().isoformat()


def test_record_one_then_same_again_then_correct(world, course):
    _offering, (ann, _bob) = course
    client = api(world, world.a_unit1_admin)
    url = f"/api/v1/staff/enrollments/{ann.pk}/completion/"
    first = client.post(url, {"outcome": "completed", "result": "A", "date": day()}, format="json")
    assert first.status_code == 200
    body = first.json()
    assert body["changed"] is True
    assert body["completion"]["outcome"] == "completed"
    assert body["completion"]["credit_value"] == "3.00"
    assert body["completion"]["source"] == "api"
    again = client.post(url, {"outcome": "completed", "result": "A", "date": day()}, format="json").json()
    assert again["changed"] is False
    assert again["completion"]["id"] == body["completion"]["id"]
    refused = client.post(url, {"outcome": "not_completed", "date": day()}, format="json")
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "correction_needs_reason"
    corrected = client.post(
        url, {"outcome": "not_completed", "date": day(), "reason": "Wrong learner"}, format="json"
    ).json()
    assert corrected["completion"]["replaces"] == body["completion"]["id"]
    ann.refresh_from_db()
    assert ann.status == S.CONFIRMED
    roster = client.get(f"/api/v1/staff/offerings/{ann.offering_id}/roster/").json()
    entry = next(r for r in roster["results"] if r["id"] == ann.pk)
    assert entry["completion"]["outcome"] == "not_completed"


def test_not_confirmed_is_409_and_bad_input_400(world, course):
    _offering, (ann, _bob) = course
    client = api(world, world.a_unit1_admin)
    url = f"/api/v1/staff/enrollments/{ann.pk}/completion/"
    assert client.post(url, {"outcome": "maybe"}, format="json").status_code == 400
    assert client.post(url, {"outcome": "completed", "date": "soon"}, format="json").status_code == 400
    client.post(f"/api/v1/staff/enrollments/{ann.pk}/cancel/", {"reason": "left"}, format="json")
    response = client.post(url, {"outcome": "completed"}, format="json")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "completion_refused"


def test_bulk_both_modes(world, course):
    offering, (ann, bob) = course
    client = api(world, world.a_unit1_admin)
    url = f"/api/v1/staff/offerings/{offering.pk}/completions/"
    body = client.post(url, {"enrollments": [ann.pk, 999999], "result": "Pass"}, format="json").json()
    assert (body["mode"], body["applied"], body["saved"]) == ("all_or_nothing", False, [])
    assert body["refused"][0]["enrollment"] == 999999
    assert body["refused"][0]["message"] == "No enrollment with this id."
    assert [line["email"] for line in body["not_saved"]] == ["ann@example.test"]
    assert not CompletionRecord.objects.exists()
    body = client.post(
        url, {"enrollments": [ann.pk, bob.pk, 999999], "mode": "good_rows", "date": day(3)}, format="json"
    ).json()
    assert body["applied"] is True
    assert sorted(line["email"] for line in body["saved"]) == ["ann@example.test", "bob@example.test"]
    assert body["saved"][0]["credits"] == "3.00 ceu"
    assert CompletionRecord.objects.count() == 2


def test_csv_report(world, course):
    offering, _people = course
    client = api(world, world.a_unit1_admin)
    text = f"email,result,date\nann@example.test,A,{day()}\nbob@example.test,B,tomorrow\n"
    response = client.post(
        f"/api/v1/staff/offerings/{offering.pk}/completions/csv/",
        {"file": SimpleUploadedFile("c.csv", text.encode()), "mode": "good_rows"},
        format="multipart",
    )
    assert response.status_code == 200
    body = response.json()
    assert [(line["line"], line["email"]) for line in body["saved"]] == [(2, "ann@example.test")]
    assert [(line["line"], line["message"]) for line in body["refused"]] == [
        (3, "“tomorrow” is not a date: write it as YYYY-MM-DD.")
    ]
    bad = client.post(
        f"/api/v1/staff/offerings/{offering.pk}/completions/csv/",
        {"file": SimpleUploadedFile("c.csv", b"\xff\xfe\x00b\x00a\x00d")},
        format="multipart",
    )
    assert bad.status_code == 400
    assert bad.json()["error"]["code"] == "completion_file_invalid"


def test_other_unit_and_tenant_get_404(world, course):
    offering, (ann, _bob) = course
    for client in (api(world, world.a_finance_unit2), api(world, world.b_admin, world.b)):
        assert (
            client.post(
                f"/api/v1/staff/enrollments/{ann.pk}/completion/", {"outcome": "completed"}, format="json"
            ).status_code
            == 404
        )
        assert (
            client.post(
                f"/api/v1/staff/offerings/{offering.pk}/completions/",
                {"enrollments": [ann.pk]},
                format="json",
            ).status_code
            == 404
        )
    assert (
        api(world, world.learner)
        .post(f"/api/v1/staff/enrollments/{ann.pk}/completion/", {"outcome": "completed"}, format="json")
        .status_code
        == 404
    )
    assert not CompletionRecord.objects.exists()


def test_schema_documents_completion(world):
    schema = api(world, None).get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    paths = schema["paths"]
    assert (
        paths["/api/v1/staff/enrollments/{id}/completion/"]["post"]["operationId"]
        == "staff_completion_record"
    )
    assert (
        paths["/api/v1/staff/offerings/{id}/completions/"]["post"]["operationId"] == "staff_completions_bulk"
    )
    upload = paths["/api/v1/staff/offerings/{id}/completions/csv/"]["post"]
    assert "multipart/form-data" in upload["requestBody"]["content"]

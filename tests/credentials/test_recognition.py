"""Prior learning: a learner uploads another institution's credential, it is verified and kept
with its checks; staff of the unit running a stack's part accept it (or refuse it, with a
reason), once, and the learner is told by e-mail in that unit's brand."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile

from credentials import messages_tasks
from credentials.models import Recognition, RecognitionMessage, RecognitionStatus
from credentials.services.issue import credential_issue
from credentials.services.recognition import recognition_decide, recognition_upload
from credentials.services.recognition_messages import recognition_message_send
from microcred.celery import app
from microcred.settings import CELERY_BEAT_SCHEDULE
from tenants.selectors import staff_access
from tests.catalog.factories import MicrocredentialFactory
from tests.credentials.conftest import completed_enrollment

pytestmark = pytest.mark.django_db

DCC = json.loads((Path(__file__).parent / "fixtures" / "dcc-basic-obv3.json").read_text())
PAGE = "/my/credentials/prior-learning/"


@pytest.fixture
def parts(world):
    """Two stacks: Data (unit 1) made of SQL (unit 1) and Stats (unit 2)."""
    sql = MicrocredentialFactory.create(unit=world.a_unit1, title="SQL Basics")
    stats = MicrocredentialFactory.create(unit=world.a_unit2, title="Statistics I")
    MicrocredentialFactory.create(unit=world.a_unit1, title="Data Certificate", parts=[sql, stats])
    return {"sql": sql, "stats": stats}


def upload(world, document, part=None):
    return recognition_upload(
        tenant=world.a,
        learner=world.learner,
        document_text_or_bytes=json.dumps(document),
        part_id=part.pk if part is not None else None,
    )


def decide(world, user, recognition, **kwargs):
    return recognition_decide(
        tenant=world.a,
        access=staff_access(tenant=world.a, user=user),
        actor=user,
        recognition_id=recognition.pk,
        **kwargs,
    )


def unresolvable() -> dict[str, Any]:
    """A credential whose issuer is a did:web elsewhere: it cannot be verified offline."""
    document: dict[str, Any] = copy.deepcopy(DCC)
    document["id"] = "urn:uuid:2b4f0c8e-7a55-4a8c-9d59-0c8f0f6a1e01"
    document["issuer"]["id"] = "did:web:registrar.example.edu"
    document["proof"]["verificationMethod"] = "did:web:registrar.example.edu#key-1"
    return document


def test_the_dcc_example_is_stored_verified_with_its_checks(world, parts):
    client = world.client_for(world.learner, world.a)
    page = client.get(PAGE).content.decode()
    assert "SQL Basics (Alpha Continuing Ed)" in page  # the parts offered
    assert "Statistics I (Alpha Business School)" in page
    assert "Data Certificate (" not in page  # a stack, not a part
    upload_file = SimpleUploadedFile("badge.json", json.dumps(DCC).encode(), "application/json")
    response = client.post(PAGE, {"file": upload_file, "part": parts["sql"].pk})
    assert response.status_code == 302
    [recognition] = Recognition.objects.filter(learner=world.learner)
    assert recognition.verified is True
    assert recognition.kind == "OpenBadgeCredential"
    assert (recognition.issuer_name, recognition.achievement_name) == ("Example Corp", "Teamwork")
    assert recognition.part == parts["sql"]
    assert recognition.status == RecognitionStatus.PENDING
    assert [c["name"] for c in recognition.checks] == ["format", "issuer", "proof", "dates", "status"]
    assert all(c["ok"] for c in recognition.checks)
    page = client.get(PAGE).content.decode()
    assert "Teamwork" in page
    assert "Credential from Example Corp" not in page
    assert "Open Badge from Example Corp" in page
    assert "Waiting for a decision" in page
    assert "Toward SQL Basics" in page
    assert "The eddsa-rdfc-2022 signature matches" in page


def tampered() -> dict[str, Any]:
    document: dict[str, Any] = copy.deepcopy(DCC)
    document["credentialSubject"]["achievement"]["name"] = "Leadership"
    return document


@pytest.mark.parametrize(
    ("given", "says"),
    [
        ("not json at all", "This is not JSON"),
        ("[1, 2]", "A credential is a JSON object"),
        ('{"a": "\\u0000"}', "NUL character"),
        ('{"a": "\\ud800"}', "not valid text"),
        (
            json.dumps({"@context": ["https://www.w3.org/2018/credentials/v1"], "type": ["X"]}),
            "not an Open Badge",
        ),
        (json.dumps({**DCC, "type": ["VerifiableCredential"]}), "neither an OpenBadgeCredential nor"),
        (json.dumps(tampered()), "signature does not match"),
        ("[" * 100_000 + "]" * 100_000, "This is not JSON"),
        ('{"x": "' + "a" * 2_000_001 + '"}', "too long"),
    ],
)
def test_what_is_not_a_usable_credential_is_refused_on_the_form_and_not_stored(world, parts, given, says):
    response = world.client_for(world.learner, world.a).post(PAGE, {"credential": given})
    assert response.status_code == 400
    assert says in response.content.decode()
    assert not Recognition.objects.exists()


def test_a_file_that_is_not_text_is_refused(world):
    upload_file = SimpleUploadedFile("badge.png", b"\x89PNG\r\n\x1a\n\xff\xfe", "image/png")
    response = world.client_for(world.learner, world.a).post(PAGE, {"file": upload_file})
    assert response.status_code == 400
    assert "not UTF-8 text" in response.content.decode()
    assert not Recognition.objects.exists()


def test_an_empty_form_and_an_unknown_part_are_refused(world, parts):
    client = world.client_for(world.learner, world.a)
    assert "Paste a credential or choose its file" in client.post(PAGE, {}).content.decode()
    response = client.post(PAGE, {"credential": json.dumps(DCC), "part": 2**63})
    assert response.status_code == 400
    assert not Recognition.objects.exists()


def test_a_credential_issued_here_is_refused(world, parts, sent):
    credential = credential_issue(enrollment_id=completed_enrollment(world, learner=world.learner).pk)
    response = world.client_for(world.learner, world.a).post(
        PAGE, {"credential": json.dumps(credential.document)}
    )
    assert response.status_code == 400
    assert "This credential was issued here: it is in your record already" in response.content.decode()
    assert not Recognition.objects.exists()


def test_the_same_credential_twice_is_refused(world, parts):
    upload(world, DCC)
    response = world.client_for(world.learner, world.a).post(PAGE, {"credential": json.dumps(DCC)})
    assert response.status_code == 400
    assert "You have uploaded this credential already" in response.content.decode()
    assert Recognition.objects.count() == 1


def test_an_issuer_that_cannot_be_resolved_offline_is_kept_unverified(world, parts):
    recognition = upload(world, unresolvable(), parts["sql"])
    assert recognition.verified is False
    issuer = next(c for c in recognition.checks if c["name"] == "issuer")
    assert issuer["ok"] is False
    assert "cannot be resolved offline" in issuer["message"]


def test_accepting_sends_one_email_and_asks_for_the_stacks_check(
    world, parts, sent, django_capture_on_commit_callbacks
):
    world.learner.preferred_name = "Ada"
    world.learner.save()
    recognition = upload(world, DCC, parts["sql"])
    client = world.client_for(world.a_unit1_admin, world.a)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/console/recognitions/{recognition.pk}/", {"decision": "accept", "part": parts["sql"].pk}
        )
    assert response.status_code == 302
    recognition.refresh_from_db()
    assert recognition.status == RecognitionStatus.ACCEPTED
    assert recognition.decided_by == world.a_unit1_admin
    [message] = RecognitionMessage.objects.all()
    assert ("credentials.stacks_check", (world.a.pk, world.learner.pk)) in sent
    assert ("credentials.send_recognition_message", (message.pk,)) in sent
    assert messages_tasks.recognition_message_send(message.pk) is True
    assert recognition_message_send(message_id=message.pk) is False  # once
    [email] = mail.outbox
    assert email.to == [world.learner.email]
    assert email.subject == "[Alpha Continuing Ed] Your prior learning is recognised: Teamwork"
    assert "Hello Ada," in email.body
    assert "accepted your credential Teamwork, from Example Corp, as counting toward SQL Basics" in email.body
    assert "http://alpha.test/my/credentials/prior-learning/" in email.body
    html, _mimetype = email.alternatives[0]  # type: ignore[attr-defined]
    assert "background:#123456" in html
    learner = world.client_for(world.learner, world.a)
    assert (
        "Teamwork, from Example Corp: counts toward SQL Basics"
        in learner.get("/my/credentials/").content.decode()
    )
    assert "Recognised as counting toward SQL Basics" in learner.get(PAGE).content.decode()


def test_refusing_needs_a_reason_and_says_it(world, parts, sent, django_capture_on_commit_callbacks):
    recognition = upload(world, DCC, parts["sql"])
    client = world.client_for(world.a_unit1_admin, world.a)
    response = client.post(f"/console/recognitions/{recognition.pk}/", {"decision": "refuse", "reason": " "})
    assert response.status_code == 400
    assert "This field is required" in response.content.decode()
    recognition.refresh_from_db()
    assert recognition.status == RecognitionStatus.PENDING
    assert not RecognitionMessage.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/console/recognitions/{recognition.pk}/",
            {"decision": "refuse", "reason": "Covers <teamwork>, not SQL"},
        )
    assert response.status_code == 302
    recognition.refresh_from_db()
    assert (recognition.status, recognition.reason) == (
        RecognitionStatus.REFUSED,
        "Covers <teamwork>, not SQL",
    )
    assert "credentials.stacks_check" not in [name for name, _args in sent]
    [message] = RecognitionMessage.objects.all()
    recognition_message_send(message_id=message.pk)
    [email] = mail.outbox
    assert email.subject == "[Alpha Continuing Ed] Your prior learning was not accepted: Teamwork"
    assert "Reason: Covers <teamwork>, not SQL" in email.body
    assert "Covers &lt;teamwork&gt;, not SQL" in email.alternatives[0][0]  # type: ignore[attr-defined]
    page = world.client_for(world.learner, world.a).get(PAGE).content.decode()
    assert "Refused" in page
    assert "Reason: Covers &lt;teamwork&gt;, not SQL" in page


def test_a_decision_is_final(world, parts, sent):
    recognition = upload(world, DCC, parts["sql"])
    decide(world, world.a_unit1_admin, recognition, accept=False, reason="No")
    client = world.client_for(world.a_unit1_admin, world.a)
    response = client.post(
        f"/console/recognitions/{recognition.pk}/", {"decision": "accept", "part": parts["sql"].pk}
    )
    assert response.status_code == 400
    assert "This was refused already; a decision is final." in response.content.decode()
    assert RecognitionMessage.objects.count() == 1


def test_staff_of_another_unit_cannot_see_or_decide(world, parts, sent):
    recognition = upload(world, DCC, parts["stats"])  # unit 2's part
    client = world.client_for(world.a_unit1_admin, world.a)
    assert client.get(f"/console/recognitions/{recognition.pk}/").status_code == 404
    response = client.post(f"/console/recognitions/{recognition.pk}/", {"decision": "refuse", "reason": "No"})
    assert response.status_code == 404
    assert "Teamwork" not in client.get("/console/recognitions/").content.decode()
    response = client.post(
        f"/api/v1/staff/recognitions/{recognition.pk}/decision/",
        {"accept": True, "part": parts["sql"].pk},
        content_type="application/json",
    )
    assert response.status_code == 404
    # Finance of unit 2 runs no unit: no console page either.
    finance = world.client_for(world.a_finance_unit2, world.a)
    assert finance.get("/console/recognitions/").status_code == 404
    recognition.refresh_from_db()
    assert recognition.status == RecognitionStatus.PENDING
    assert not RecognitionMessage.objects.exists()


def test_with_no_part_named_a_unit_admin_may_accept_it_toward_their_own_part_only(world, parts, sent):
    recognition = upload(world, DCC)
    admin = world.a_unit1_admin
    with pytest.raises(Exception, match="Choose one of the parts your units run"):
        decide(world, admin, recognition, accept=True, part_id=parts["stats"].pk)
    with pytest.raises(Exception, match="Choose the part this credential counts toward"):
        decide(world, admin, recognition, accept=True)
    accepted = decide(world, admin, recognition, accept=True, part_id=parts["sql"].pk)
    assert accepted.part == parts["sql"]


def test_an_unverified_credential_is_accepted_only_with_an_override_and_a_reason(world, parts, sent):
    recognition = upload(world, unresolvable(), parts["sql"])
    client = world.client_for(world.a_unit1_admin, world.a)
    url = f"/console/recognitions/{recognition.pk}/"
    page = client.get(url).content.decode()
    assert "Not verified when uploaded" in page
    assert "cannot be resolved offline" in page
    response = client.post(url, {"decision": "accept", "part": parts["sql"].pk})
    assert response.status_code == 400
    assert "did not pass every check" in response.content.decode()
    response = client.post(url, {"decision": "accept", "part": parts["sql"].pk, "override": "on"})
    assert response.status_code == 400
    recognition.refresh_from_db()
    assert recognition.status == RecognitionStatus.PENDING
    response = client.post(
        url,
        {
            "decision": "accept",
            "part": parts["sql"].pk,
            "override": "on",
            "reason": "Checked with the registrar",
        },
    )
    assert response.status_code == 302
    recognition.refresh_from_db()
    assert (recognition.status, recognition.reason) == (
        RecognitionStatus.ACCEPTED,
        "Checked with the registrar",
    )


def test_one_accepted_recognition_per_part(world, parts, sent):
    first = upload(world, DCC, parts["sql"])
    second = upload(world, unresolvable(), parts["sql"])
    decide(world, world.a_admin, first, accept=True)
    with pytest.raises(Exception, match="already has prior learning accepted for SQL Basics"):
        decide(world, world.a_admin, second, accept=True, override=True, reason="ok")


def test_the_staff_api_lists_pending_first_and_decides(world, parts, sent):
    old = upload(world, unresolvable(), parts["sql"])
    decide(world, world.a_admin, old, accept=False, reason="Not comparable")
    pending = upload(world, DCC, parts["sql"])
    client = world.client_for(world.a_unit1_admin, world.a)
    body = client.get("/api/v1/staff/recognitions/").json()
    assert [r["id"] for r in body["results"]] == [pending.pk, old.pk]
    first = body["results"][0]
    assert (first["status"], first["verified"], first["achievement_name"]) == ("pending", True, "Teamwork")
    assert first["part_title"] == "SQL Basics"
    assert first["checks"][0] == {
        "name": "format",
        "ok": True,
        "message": "An Open Badge (VC Data Model 2.0).",
    }
    assert [r["id"] for r in client.get("/api/v1/staff/recognitions/?status=refused").json()["results"]] == [
        old.pk
    ]
    assert client.get("/api/v1/staff/recognitions/?status=nonsense").status_code == 400
    url = f"/api/v1/staff/recognitions/{pending.pk}/decision/"
    response = client.post(url, {"accept": False}, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "reason_required"
    response = client.post(url, {"accept": "maybe"}, content_type="application/json")
    assert response.status_code == 400
    response = client.post(url, {"accept": True}, content_type="application/json")
    assert response.status_code == 200
    assert response.json()["status"] == "accepted"
    assert response.json()["decided_by_email"] == world.a_unit1_admin.email
    response = client.post(url, {"accept": True}, content_type="application/json")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "already_decided"


def test_another_tenants_host_answers_404(world, parts):
    recognition = upload(world, DCC, parts["sql"])
    admin_b = world.client_for(world.b_admin, world.b)
    assert admin_b.get(f"/console/recognitions/{recognition.pk}/").status_code == 404
    assert admin_b.get("/api/v1/staff/recognitions/").json()["results"] == []
    response = admin_b.post(
        f"/api/v1/staff/recognitions/{recognition.pk}/decision/",
        {"accept": False, "reason": "x"},
        content_type="application/json",
    )
    assert response.status_code == 404
    # A tenant-a admin on tenant b's host reaches nothing of a's either.
    assert (
        world.client_for(world.a_admin, world.b).get(f"/console/recognitions/{recognition.pk}/").status_code
        == 404
    )
    assert "Teamwork" not in world.client_for(world.learner, world.b).get(PAGE).content.decode()


def test_the_tasks_are_registered_and_the_sweep_runs_every_minute():
    app.loader.import_default_modules()
    assert app.tasks["credentials.send_recognition_message"].run.__module__ == "credentials.messages_tasks"
    assert app.tasks["credentials.recognition_messages_sweep"].run.__module__ == "credentials.messages_tasks"
    entry = CELERY_BEAT_SCHEDULE["credentials-recognition-messages-sweep"]
    assert (entry["task"], entry["schedule"]) == ("credentials.recognition_messages_sweep", 60.0)


def test_my_credentials_links_to_prior_learning(world):
    page = world.client_for(world.learner, world.a).get("/my/credentials/").content.decode()
    assert 'href="/my/credentials/prior-learning/"' in page


@pytest.mark.parametrize("who", ["tenant_admin", "learner"])
def test_bad_input_never_answers_5xx(world, parts, sent, who):
    from tests.test_no_5xx import _sweep

    recognition = upload(world, unresolvable(), parts["sql"])
    user = {"tenant_admin": world.a_admin, "learner": world.learner}[who]
    client = world.client_for(user, world.a)
    client.raise_request_exception = False
    names = {"accept", "part", "reason", "override", "status", "decision", "credential", "page"}
    found: list[str] = []
    for route in (
        "/my/credentials/prior-learning/",
        "/console/recognitions/",
        "/console/recognitions/<int:pk>/",
        "/api/v1/staff/recognitions/",
        "/api/v1/staff/recognitions/<int:pk>/decision/",
    ):
        found += _sweep(client, route, [recognition.pk], names)
    assert not found, "\n".join(found)

"""What verifiers and staff reach over HTTP: DID documents, status lists, the verifier, the
console and the staff API."""

from __future__ import annotations

import json

import pytest

from credentials.models import CredentialStatus
from credentials.services import proof, status
from credentials.services.issue import credential_issue
from credentials.services.verify import verify_document
from tests.credentials.conftest import completed_enrollment

pytestmark = pytest.mark.django_db


@pytest.fixture
def issued(world, sent):
    return credential_issue(enrollment_id=completed_enrollment(world).pk)


def test_the_did_document_lists_the_units_keys(world, issued):
    response = world.client_for(None, world.a).get("/units/continuing-ed/did.json")
    assert response.status_code == 200
    did = response.json()
    assert did["id"] == "did:web:alpha.test:units:continuing-ed"
    method = did["verificationMethod"][0]
    assert method["type"] == "Multikey"
    assert method["publicKeyMultibase"].startswith("z6Mk")
    assert did["assertionMethod"] == [method["id"]]


def test_another_tenants_unit_has_no_did_document(world, issued):
    assert world.client_for(None, world.b).get("/units/continuing-ed/did.json").status_code == 404


def test_the_status_list_is_signed_and_carries_the_revoked_bit(world, issued, client):
    before = world.client_for(None, world.a).get("/units/continuing-ed/status/revocation").json()
    assert not status.bit_at(
        status.decode_bits(before["credentialSubject"]["encodedList"]), issued.status_index
    )
    client = world.client_for(world.a_unit1_admin, world.a)
    response = client.post(f"/console/credentials/{issued.pk}/revoke/", {"reason": "Misconduct"})
    assert response.status_code == 302
    listed = world.client_for(None, world.a).get("/units/continuing-ed/status/revocation").json()
    assert listed["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    encoded = listed["credentialSubject"]["encodedList"]
    assert encoded.startswith("u")
    bits = status.decode_bits(encoded)
    assert len(bits) * 8 == 131072
    assert status.bit_at(bits, issued.status_index)
    assert not status.bit_at(bits, issued.status_index + 1)
    assert verify_document(listed).checks[0].name == "format"  # not a badge, but its proof:
    assert proof.verify(listed, public_key=proof.multikey_decode(issued.key.public_key_multibase))
    suspension = world.client_for(None, world.a).get("/units/continuing-ed/status/suspension").json()
    assert not status.bit_at(
        status.decode_bits(suspension["credentialSubject"]["encodedList"]), issued.status_index
    )
    assert world.client_for(None, world.a).get("/units/continuing-ed/status/other").status_code == 404


def test_the_verify_page_shows_each_check(world, issued):
    client = world.client_for(None, world.a)
    assert client.get("/verify/").status_code == 200
    page = client.post("/verify/", {"credential": json.dumps(issued.document)}).content.decode()
    assert "Valid credential" in page
    assert "Data Analysis with SQL" in page
    page = client.post("/verify/", {"credential": "not json"}).content.decode()
    assert "Not a valid credential" in page
    assert "This is not JSON" in page
    assert client.post("/verify/", {}).status_code == 400


def test_the_verify_page_takes_a_file(world, issued):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("badge.json", json.dumps(issued.document).encode(), "application/json")
    page = world.client_for(None, world.a).post("/verify/", {"file": upload}).content.decode()
    assert "Valid credential" in page


def test_the_verify_api_answers_a_verdict_for_anything(world, issued):
    client = world.client_for(None, world.a)
    ok = client.post(
        "/api/v1/credentials/verify", json.dumps(issued.document), content_type="application/json"
    )
    assert ok.status_code == 200
    assert ok.json()["ok"] is True
    assert [c["name"] for c in ok.json()["checks"]] == ["format", "issuer", "proof", "dates", "status"]
    bad = client.post("/api/v1/credentials/verify", "nope", content_type="application/json")
    assert bad.status_code == 200
    assert bad.json()["ok"] is False


def test_console_lists_and_acts_only_for_units_managed(world, issued):
    unit_admin = world.client_for(world.a_unit1_admin, world.a)
    page = unit_admin.get("/console/credentials/").content.decode()
    assert issued.learner.email in page
    refused = unit_admin.post(f"/console/credentials/{issued.pk}/revoke/", {"reason": ""}, follow=True)
    assert "Say why" in refused.content.decode()
    issued.refresh_from_db()
    assert issued.status == CredentialStatus.ACTIVE
    other_tenant = world.client_for(world.b_admin, world.b)
    assert other_tenant.post(f"/console/credentials/{issued.pk}/suspend/", {"reason": "x"}).status_code == 404
    finance = world.client_for(world.a_finance_all, world.a)
    assert finance.get("/console/credentials/").status_code in (302, 404)


def test_staff_api_suspends_and_reinstates(world, issued):
    client = world.client_for(world.a_admin, world.a)
    listed = client.get("/api/v1/staff/credentials/").json()
    assert [row["public_id"] for row in listed["results"]] == [str(issued.public_id)]
    suspended = client.post(
        f"/api/v1/staff/credentials/{issued.pk}/suspend/",
        {"reason": "Check"},
        content_type="application/json",
    )
    assert suspended.status_code == 200
    assert suspended.json()["status"] == "suspended"
    again = client.post(
        f"/api/v1/staff/credentials/{issued.pk}/suspend/", {}, content_type="application/json"
    )
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "status_change_refused"
    revoke = client.post(
        f"/api/v1/staff/credentials/{issued.pk}/revoke/", {}, content_type="application/json"
    )
    assert revoke.status_code == 400
    assert revoke.json()["error"]["code"] == "reason_required"
    back = client.post(
        f"/api/v1/staff/credentials/{issued.pk}/reinstate/", {}, content_type="application/json"
    )
    assert back.json()["status"] == "active"
    assert [e.action for e in issued.events.all()] == ["issued", "suspended", "reinstated"]
    assert list(issued.messages.values_list("kind", flat=True)) == ["issued", "suspended", "reinstated"]
    other = world.client_for(world.b_admin, world.b)
    assert (
        other.post(
            f"/api/v1/staff/credentials/{issued.pk}/suspend/", {}, content_type="application/json"
        ).status_code
        == 404
    )


def test_the_verify_api_takes_a_form_post_too(world, issued):
    client = world.client_for(None, world.a)
    form = client.post("/api/v1/credentials/verify", {"credential": json.dumps(issued.document)})
    assert form.status_code == 200
    assert form.json()["ok"] is True
    empty = client.post("/api/v1/credentials/verify", {"other": "x"})
    assert empty.status_code == 200
    assert empty.json()["ok"] is False


def test_the_achievement_is_served_and_unknown_units_are_404(world, issued):
    client = world.client_for(None, world.a)
    url = issued.document["credentialSubject"]["achievement"]["id"]
    path = url.removeprefix("http://alpha.test").removeprefix("https://alpha.test")
    body = client.get(path).json()
    assert body["name"] == "Data Analysis with SQL"
    assert body["achievementType"] == "MicroCredential"
    assert client.get("/units/nope/did.json").status_code == 404
    assert client.get("/units/nope/status/revocation").status_code == 404
    assert world.client_for(None, world.b).get(path).status_code == 404


def test_an_achievement_id_out_of_range_or_of_another_unit_is_404(world, issued):
    client = world.client_for(None, world.a)
    microcredential = issued.microcredential
    assert client.get(f"/units/continuing-ed/achievements/{2**63}").status_code == 404
    other = world.a_unit2.slug
    assert client.get(f"/units/{other}/achievements/{microcredential.pk}").status_code == 404


@pytest.mark.parametrize("unit", ["²", "abc", "0"])
def test_staff_api_list_by_a_unit_that_is_not_an_id_is_a_400(world, issued, unit):
    response = world.client_for(world.a_admin, world.a).get("/api/v1/staff/credentials/", {"unit": unit})
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["unit"]


def test_the_console_navigation_leads_unit_admins_to_credentials(world):
    page = world.client_for(world.a_unit1_admin, world.a).get("/console/credentials/").content.decode()
    assert 'href="/console/credentials/" aria-current="page"' in page


def test_an_empty_verify_form_says_what_is_missing(world):
    response = world.client_for(None, world.a).post("/verify/", {})
    assert response.status_code == 400
    assert "Paste a credential or choose its file." in response.content.decode()

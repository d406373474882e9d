"""The learner's record: the signed Comprehensive Learner Record 2.0 (ClrCredential), My learning
record, the transcript, share links and the tenant's own key and DID."""

from __future__ import annotations

import copy
import json
import re

import pytest
from django.utils import timezone

from catalog.models import CreditType, PublicationStatus
from credentials.models import CredentialStatus, RecordShare
from credentials.services import keys, proof, record
from credentials.services.changes import credentials_revoke_for_enrollment
from credentials.services.verify import verify_document
from tests.credentials.record_world import accept_prior_learning, award_stack, complete, course
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def checks(verdict):
    return {c.name: c for c in verdict.checks}


def subject(document):
    return document["credentialSubject"]


def achievements_by_name(document):
    return {a["name"]: a for a in subject(document)["achievement"]}


def associations(document):
    return {(a["associationType"], a["sourceId"], a["targetId"]) for a in subject(document)["association"]}


@pytest.fixture
def ada(world):
    return UserFactory.create(full_name="Ada Lovelace")


@pytest.fixture
def earned(world, sent, ada):
    """Ada: Python (A, 3 CEU) and SQL (Pass, 2 ECTS) completed; Finance (4 CEU) recognised as
    prior learning."""
    python = course(world.a_unit1, "Python", "3")
    sql = course(world.a_unit1, "SQL", "2", CreditType.ECTS)
    finance = course(world.a_unit2, "Finance", "4")
    complete(python, ada, "A")
    complete(sql, ada, "Pass")
    accept_prior_learning(finance, ada, decided_by=world.a_admin)
    return {"python": python, "sql": sql, "finance": finance}


# What the record says


def test_the_record_lists_every_achievement_with_its_credits_and_result(world, earned, ada):
    document = record.clr_build(tenant=world.a, learner=ada)
    assert document["type"] == ["VerifiableCredential", "ClrCredential"]
    assert document["@context"] == [proof.VC_V2, proof.CLR_V2, proof.OB_V3]
    assert document["issuer"]["id"] == "did:web:alpha.test"
    assert document["issuer"]["name"] == "Alpha University"
    assert subject(document)["name"] == "Ada Lovelace"
    assert ada.email not in json.dumps(document)

    embedded = subject(document)["verifiableCredential"]
    results = {vc["name"]: vc["credentialSubject"]["result"][0]["value"] for vc in embedded}
    assert results == {"Python": "A", "SQL": "Pass"}
    earned_credits = {vc["name"]: vc["credentialSubject"]["creditsEarned"] for vc in embedded}
    assert earned_credits == {"Python": 3.0, "SQL": 2.0}
    assert all("proof" in vc for vc in embedded)  # as their units signed them

    defined = achievements_by_name(document)
    assert {name: a.get("creditsAvailable") for name, a in defined.items() if name != "Intro to Python"} == {
        "Python": 3.0,
        "SQL": 2.0,
        "Finance": 4.0,
    }
    prior = defined["Intro to Python"]
    assert prior["creator"]["name"] == "Gamma Polytechnic"
    assert ("exactMatchOf", prior["id"], defined["Finance"]["id"]) in associations(document)

    page = world.client_for(ada, world.a).get("/my/record/")
    assert page.status_code == 200
    text = page.content.decode()
    for shown in (
        "Python",
        "SQL",
        "Finance",
        "Alpha Continuing Ed",
        "Alpha Business School",
        "Prior learning",
    ):
        assert shown in text
    assert "Recognised prior learning: Intro to Python, from Gamma Polytechnic" in text
    assert re.search(r"<dt>Result</dt><dd>A</dd>", text)
    assert re.search(r"<dt>Result</dt><dd>Pass</dd>", text)
    assert "<li>7 CEU</li>" in text  # 3 completed + 4 recognised
    assert "<li>2 ECTS credits</li>" in text


def test_associations_mirror_the_stacks(world, earned, ada):
    stack = course(world.a_unit1, "Data Stack", "0", parts=[earned["python"], earned["sql"]])
    course(world.a_unit1, "Analytics Stack", "0", parts=[earned["python"], course(world.a_unit1, "R")])
    draft = course(world.a_unit1, "Draft Stack", "0", parts=[earned["python"]])
    type(draft).objects.filter(pk=draft.pk).update(status=PublicationStatus.DRAFT)
    award_stack(stack, ada)

    document = record.clr_build(tenant=world.a, learner=ada)
    defined = achievements_by_name(document)
    python, sql, data = defined["Python"]["id"], defined["SQL"]["id"], defined["Data Stack"]["id"]
    links = associations(document)
    for part in (python, sql):
        assert ("isChildOf", part, data) in links
        assert ("isPartOf", part, data) in links
        assert ("isParentOf", data, part) in links
    assert "Analytics Stack" not in defined  # not earned: no claim in the signed record
    assert all(a["type"] == "Association" for a in subject(document)["association"])

    text = world.client_for(ada, world.a).get("/my/record/").content.decode()
    assert "Data Stack" in text
    assert "Earned" in text
    assert "Analytics Stack" in text
    assert "1 of 2 parts" in text
    assert "R: Not yet" in text
    assert "Draft Stack" not in text


# Signature, keys, DID


def test_the_signed_record_verifies_and_a_changed_one_does_not(world, earned, ada):
    document = record.clr_build(tenant=world.a, learner=ada)
    verdict = verify_document(json.dumps(document))
    assert verdict.ok, verdict.checks
    assert verdict.kind == "ClrCredential"
    assert "Alpha University" in checks(verdict)["issuer"].message

    raised = copy.deepcopy(document)
    raised["credentialSubject"]["verifiableCredential"][0]["credentialSubject"]["result"][0]["value"] = "A+"
    assert "changed after signing" in checks(verify_document(raised))["proof"].message
    unlinked = copy.deepcopy(document)
    unlinked["credentialSubject"]["association"] = []
    assert not verify_document(unlinked).ok

    page = world.client_for(None, world.a).post("/verify/", {"credential": json.dumps(document)})
    assert page.status_code == 200
    assert "A Comprehensive Learner Record" in page.content.decode()


def test_a_rotated_tenant_key_still_verifies_old_records(world, earned, ada):
    old = record.clr_build(tenant=world.a, learner=ada)
    assert old["proof"]["verificationMethod"] == "did:web:alpha.test#key-1"
    keys.tenant_key_rotate(tenant=world.a)
    new = record.clr_build(tenant=world.a, learner=ada)
    assert new["proof"]["verificationMethod"] == "did:web:alpha.test#key-2"
    assert verify_document(new).ok
    verdict = verify_document(old)
    assert verdict.ok, verdict.checks
    assert "retired" in checks(verdict)["issuer"].message

    did = world.client_for(None, world.a).get("/.well-known/did.json")
    assert did.status_code == 200
    assert did["Content-Type"] == "application/did+json"
    body = did.json()
    assert body["id"] == "did:web:alpha.test"
    assert [m["id"] for m in body["verificationMethod"]] == [
        "did:web:alpha.test#key-1",
        "did:web:alpha.test#key-2",
    ]
    assert body["assertionMethod"] == [m["id"] for m in body["verificationMethod"]]
    unit_did = world.client_for(None, world.a).get("/units/continuing-ed/did.json").json()
    assert all(m["controller"] == unit_did["id"] for m in unit_did["verificationMethod"])


def test_the_tenant_key_is_made_once_and_kept_encrypted(world):
    first = keys.tenant_signing_key(tenant=world.a)
    again = keys.tenant_signing_key(tenant=world.a)
    assert first.key.pk == again.key.pk
    assert first.key.unit_id is None
    assert "PRIVATE KEY" not in first.key.private_key_encrypted
    other = keys.tenant_signing_key(tenant=world.b)
    assert other.verification_method == "did:web:beta.test#key-1"


def test_a_forged_key_id_of_the_tenant_fails(world, earned, ada):
    document = copy.deepcopy(record.clr_build(tenant=world.a, learner=ada))
    document["proof"]["verificationMethod"] = "did:web:alpha.test#key-7"
    assert "has no key key-7" in checks(verify_document(document))["issuer"].message


def test_openbadgeslib_checks_the_record_signature_but_verifies_only_open_badges(world, earned, ada):
    """An independent implementation: its low-level Data Integrity check, with its own pinned
    copy of the CLR 2.0.1 context, accepts our signature; its OB 3.0 verifier refuses any
    ClrCredential (it checks OpenBadgeCredential only)."""
    ldp = pytest.importorskip("openbadgeslib.ob3.ldp")
    clr = pytest.importorskip("openbadgeslib.ob3.clr")
    from cryptography.hazmat.primitives import serialization

    document = record.clr_build(tenant=world.a, learner=ada)
    public = proof.multikey_decode(
        keys.tenant_did_document(tenant=world.a)["verificationMethod"][0]["publicKeyMultibase"]
    )
    pem = public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    ldp.verify_data_integrity_proof(document, pem, extra_contexts=clr.bundled_clr_contexts())
    tampered = copy.deepcopy(document)
    tampered["name"] = "Something else"
    with pytest.raises(Exception):  # noqa: B017,PT011 - the library's own error class
        ldp.verify_data_integrity_proof(tampered, pem, extra_contexts=clr.bundled_clr_contexts())
    with pytest.raises(Exception, match="not an OpenBadgeCredential"):
        ldp.OB3LdpVerifier(pubkey_pem=pem).verify(document)


# Kept current


def test_the_record_is_signed_again_only_when_it_changes(world, earned, ada, sent):
    first = record.clr_build(tenant=world.a, learner=ada)
    assert record.clr_build(tenant=world.a, learner=ada)["proof"] == first["proof"]  # kept
    credential = complete(course(world.a_unit2, "Accounting", "1"), ada, "B")
    grown = record.clr_build(tenant=world.a, learner=ada)
    assert grown["id"] != first["id"]
    assert "Accounting" in achievements_by_name(grown)
    assert credential.enrollment_id is not None
    credentials_revoke_for_enrollment(
        enrollment_id=credential.enrollment_id, reason="Recorded by mistake", actor_id=None
    )
    credential.refresh_from_db()
    assert credential.status == CredentialStatus.REVOKED
    shrunk = record.clr_build(tenant=world.a, learner=ada)
    assert "Accounting" not in achievements_by_name(shrunk)
    assert verify_document(shrunk).ok


def test_reading_the_record_takes_the_same_few_queries_for_many_achievements(
    world, sent, ada, django_assert_max_num_queries
):
    parts = [course(world.a_unit1, f"Module {n}") for n in range(12)]
    stack = course(world.a_unit1, "Big Stack", "0", parts=parts)
    for part in parts:
        complete(part, ada, "Pass")
    award_stack(stack, ada)
    accept_prior_learning(course(world.a_unit2, "Finance"), ada, decided_by=world.a_admin)
    with django_assert_max_num_queries(7):
        learner_record = record.learner_record(tenant=world.a, learner=ada)
    assert len(learner_record.entries) == 13
    assert learner_record.stacks[0].parts_done == 12
    document = record.clr_signed(learner_record)
    assert len(associations(document)) == 12 * 3 + 1  # each part three ways, and the prior learning
    assert verify_document(document).ok


# Pages


def test_the_pages_work_for_a_learner_with_nothing(world):
    client = world.client_for(world.learner, world.a)
    page = client.get("/my/record/")
    assert page.status_code == 200
    assert "No achievements yet" in page.content.decode()
    assert "Make a new link" in page.content.decode()
    download = client.get("/my/record/clr.json")
    assert download.status_code == 200
    assert download["Content-Type"] == "application/ld+json"
    assert "attachment" in download["Content-Disposition"]
    document = json.loads(download.content)
    assert subject(document)["verifiableCredential"] == []
    assert verify_document(document).ok
    transcript = client.get("/my/record/transcript/")
    assert transcript.status_code == 200
    assert "@media print" not in transcript.content.decode()  # the print rules are in record.css
    assert "record.css" in transcript.content.decode()
    assert "No achievements yet" in transcript.content.decode()


def test_the_pages_need_a_signed_in_learner(world):
    client = world.client_for(None, world.a)
    for path in ("/my/record/", "/my/record/clr.json", "/my/record/transcript/"):
        assert client.get(path).status_code == 302
    assert client.post("/my/record/shares/").status_code == 302


def test_the_transcript_lists_every_achievement_with_totals(world, earned, ada):
    text = world.client_for(ada, world.a).get("/my/record/transcript/").content.decode()
    assert "Transcript: Alpha University" in text
    assert "Ada Lovelace" in text
    for shown in ("Python", "SQL", "Finance", "3 CEU", "2 ECTS credits", "7 CEU", "Prior learning"):
        assert shown in text


def test_navigation_and_my_credentials_link_the_record(world):
    client = world.client_for(world.learner, world.a)
    text = client.get("/my/credentials/").content.decode()
    assert text.count('href="/my/record/"') == 2  # the navigation and the page


# Share links


def test_a_share_link_opens_the_record_until_it_is_revoked(world, earned, ada):
    owner = world.client_for(ada, world.a)
    made = owner.post("/my/record/shares/")
    assert made.status_code == 302
    share = RecordShare.objects.get(learner=ada)
    assert share.token in owner.get("/my/record/").content.decode()

    public = world.client_for(None, world.a)
    page = public.get(f"/records/{share.token}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Learner record: Ada Lovelace" in text
    assert "Verified: every check below passed." in text
    assert "Python" in text
    assert "7 CEU" in text
    assert ada.email not in text
    assert page["Referrer-Policy"] == "no-referrer"
    download = public.get(f"/records/{share.token}/clr.json")
    assert download.status_code == 200
    assert download["Content-Type"] == "application/ld+json"
    assert verify_document(json.loads(download.content)).ok

    assert owner.post(f"/my/record/shares/{share.pk}/revoke/").status_code == 302
    share.refresh_from_db()
    assert share.revoked_at is not None
    assert public.get(f"/records/{share.token}/").status_code == 404
    assert public.get(f"/records/{share.token}/clr.json").status_code == 404
    assert share.token not in owner.get("/my/record/").content.decode()


def test_a_record_link_answers_404_elsewhere_and_to_others(world, earned, ada):
    share = RecordShare.objects.create(tenant=world.a, learner=ada, token="t" * 43)
    assert world.client_for(None, world.b).get(f"/records/{share.token}/").status_code == 404
    assert world.client_for(None, world.b).get(f"/records/{share.token}/clr.json").status_code == 404
    public = world.client_for(None, world.a)
    for token in ("unknown", "x" * 65, "t" * 42):
        assert public.get(f"/records/{token}/").status_code == 404
    someone = world.client_for(world.learner, world.a)
    assert someone.post(f"/my/record/shares/{share.pk}/revoke/").status_code == 404
    assert someone.post(f"/my/record/shares/{2**70}/revoke/").status_code == 404
    share.refresh_from_db()
    assert share.revoked_at is None
    assert world.client_for(ada, world.b).post(f"/my/record/shares/{share.pk}/revoke/").status_code == 404
    assert world.client_for(ada, world.a).get(f"/my/record/shares/{share.pk}/revoke/").status_code == 405
    beta_did = world.client_for(None, world.b).get("/.well-known/did.json").json()
    assert beta_did["id"] == "did:web:beta.test"
    assert "alpha" not in json.dumps(beta_did)


def test_another_tenants_record_has_only_its_own_achievements(world, earned, ada, sent):
    complete(course(world.b_unit1, "Welding"), ada, "Pass")
    beta = record.clr_build(tenant=world.b, learner=ada)
    assert set(achievements_by_name(beta)) == {"Welding"}
    assert beta["issuer"]["id"] == "did:web:beta.test"
    assert "Welding" not in achievements_by_name(record.clr_build(tenant=world.a, learner=ada))


def test_too_many_links_is_refused_with_a_message(world, ada):
    for n in range(20):
        RecordShare.objects.create(tenant=world.a, learner=ada, token=f"token-{n}", created_at=timezone.now())
    owner = world.client_for(ada, world.a)
    page = owner.post("/my/record/shares/", follow=True)
    assert page.status_code == 200
    assert "revoke one before making another" in page.content.decode()
    assert RecordShare.objects.filter(learner=ada).count() == 20

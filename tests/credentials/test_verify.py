"""The verifier: each kind of bad input gets a clear verdict; ours verify; the oracle agrees."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from credentials.services import keys, proof
from credentials.services.issue import credential_issue
from credentials.services.verify import verify_document
from tests.credentials.conftest import completed_enrollment
from tests.credentials.test_proof import KEY_SECRET

pytestmark = pytest.mark.django_db


def checks(verdict):
    return {c.name: c for c in verdict.checks}


@pytest.fixture
def issued(world, sent):
    return credential_issue(enrollment_id=completed_enrollment(world).pk)


def test_our_credential_passes_every_check(issued):
    verdict = verify_document(json.dumps(issued.document))
    assert verdict.ok
    assert [c.name for c in verdict.checks] == ["format", "issuer", "proof", "dates", "status"]
    assert verdict.kind == "OpenBadgeCredential"
    assert verdict.issuer_name == "Alpha Continuing Ed"
    assert verdict.achievement_name == "Data Analysis with SQL"
    assert verdict.subject_name == "Ada Lovelace"


@pytest.mark.parametrize(
    ("given", "says"),
    [
        ("{not json", "not JSON"),
        (b"\xff\xfe", "not UTF-8"),
        ("[1, 2]", "JSON object"),
        (42, "JSON object"),
        (None, "JSON object"),
        ('{"@context": "https://example.org"}', "Verifiable Credentials 2.0"),
        ("[" * 100000 + "]" * 100000, "not JSON"),
    ],
)
def test_what_is_not_a_credential_is_said_so(given, says):
    verdict = verify_document(given)
    assert not verdict.ok
    assert verdict.checks[0].name == "format"
    assert says in verdict.checks[0].message


def test_a_plain_vc_is_not_a_badge():
    doc = {"@context": [proof.VC_V2], "type": ["VerifiableCredential"]}
    assert "neither" in verify_document(doc).checks[0].message


def test_a_changed_field_fails_the_proof(issued):
    doc = copy.deepcopy(issued.document)
    doc["credentialSubject"]["achievement"]["name"] = "Brain Surgery"
    verdict = verify_document(doc)
    assert not verdict.ok
    assert checks(verdict)["issuer"].ok
    assert "changed after signing" in checks(verdict)["proof"].message


def test_an_unknown_key_of_our_issuer_fails(issued):
    doc = copy.deepcopy(issued.document)
    doc["proof"]["verificationMethod"] = doc["issuer"]["id"] + "#key-9"
    verdict = verify_document(doc)
    assert "has no key key-9" in checks(verdict)["issuer"].message
    assert not checks(verdict)["proof"].ok


def test_a_key_of_another_issuer_fails(issued):
    doc = copy.deepcopy(issued.document)
    doc["issuer"]["id"] = "did:web:alpha.test:units:business"
    assert "not a key of the issuer" in checks(verify_document(doc))["issuer"].message


def test_an_issuer_elsewhere_cannot_be_resolved_offline(issued):
    doc = copy.deepcopy(issued.document)
    doc["issuer"]["id"] = "did:web:badges.example.org"
    doc["proof"]["verificationMethod"] = "did:web:badges.example.org#key-1"
    assert "cannot be resolved offline" in checks(verify_document(doc))["issuer"].message


def test_revoked_and_suspended_show_in_the_status_check(issued, world):
    from credentials.services.changes import credential_status_change
    from tenants.selectors import staff_access

    access = staff_access(tenant=world.a, user=world.a_unit1_admin)
    common = {"tenant": world.a, "access": access, "actor": world.a_unit1_admin, "credential_id": issued.pk}
    credential_status_change(**common, action="suspend", reason="Under review")
    assert (
        "suspended this credential. Reason: Under review"
        in checks(verify_document(issued.document))["status"].message
    )
    credential_status_change(**common, action="reinstate", reason="")
    assert verify_document(issued.document).ok
    credential_status_change(**common, action="revoke", reason="Academic misconduct")
    verdict = verify_document(issued.document)
    assert not verdict.ok
    assert "revoked" in checks(verdict)["status"].message


def test_dates_not_yet_valid_and_expired(issued, world):
    key = keys.signing_key(unit=world.a_unit1)
    for field, value, says in [
        ("validFrom", "2999-01-01T00:00:00Z", "not valid before"),
        ("validUntil", "2001-01-01T00:00:00Z", "expired"),
    ]:
        doc = {**issued.document, field: value}
        doc = proof.sign(
            doc,
            private_key=key.private_key,
            verification_method=key.verification_method,
            created="2024-01-01T00:00:00Z",
        )
        verdict = verify_document(doc)
        assert checks(verdict)["proof"].ok
        assert says in checks(verdict)["dates"].message


def test_a_did_key_issuer_verifies_offline(issued):
    secret = proof.multikey_private_decode(KEY_SECRET)
    did = "did:key:" + proof.multikey_encode(secret.public_key())
    doc = {k: v for k, v in issued.document.items() if k not in ("proof", "credentialStatus")}
    doc["issuer"] = {"id": did, "type": ["Profile"], "name": "Someone Else"}
    signed = proof.sign(
        doc, private_key=secret, verification_method=f"{did}#{did[8:]}", created="2024-01-01T00:00:00Z"
    )
    verdict = verify_document(signed)
    assert verdict.ok, verdict.checks


def test_openbadgeslib_verifies_our_credential_offline(issued, world):
    """An independent OB 3.0 implementation checks our signature with our unit's key."""
    ldp = pytest.importorskip("openbadgeslib.ob3.ldp")
    from cryptography.hazmat.primitives import serialization

    public = proof.multikey_decode(
        keys.did_document(unit=world.a_unit1)["verificationMethod"][0]["publicKeyMultibase"]
    )
    pem = public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    verifier = ldp.OB3LdpVerifier(pubkey_pem=pem)
    verifier.verify(issued.document)  # raises on a bad proof
    tampered = copy.deepcopy(issued.document)
    tampered["name"] = "Something else"
    with pytest.raises(Exception):  # noqa: B017,PT011 - the library's own error class
        verifier.verify(tampered)


def test_the_ob3_spec_example_signed_elsewhere_verifies():
    """The Open Badges 3.0 spec's basic example (Teamwork Badge) as signed with eddsa-rdfc-2022
    by the Digital Credentials Consortium's test issuer (did:key), from their VerifierPlus."""
    text = (Path(__file__).parent / "fixtures" / "dcc-basic-obv3.json").read_text()
    verdict = verify_document(text)
    assert verdict.ok, verdict.checks
    assert verdict.achievement_name == "Teamwork"
    tampered = json.loads(text)
    tampered["credentialSubject"]["achievement"]["name"] = "Leadership"
    assert not checks(verify_document(tampered))["proof"].ok


def test_a_clr_credential_signed_with_a_did_key_verifies():
    secret = proof.multikey_private_decode(KEY_SECRET)
    did = "did:key:" + proof.multikey_encode(secret.public_key())
    clr = {
        "@context": [proof.VC_V2, proof.CLR_V2, proof.OB_V3],
        "id": "urn:uuid:9b1b6b46-2f5b-4a8e-9c1e-3b0f7f0d1a11",
        "type": ["VerifiableCredential", "ClrCredential"],
        "issuer": {"id": did, "type": ["Profile"], "name": "Example College"},
        "validFrom": "2024-01-01T00:00:00Z",
        "name": "Transcript",
        "credentialSubject": {"type": ["ClrSubject"], "verifiableCredential": [], "achievement": []},
    }
    signed = proof.sign(
        clr, private_key=secret, verification_method=f"{did}#{did[8:]}", created="2024-01-01T00:00:00Z"
    )
    verdict = verify_document(signed)
    assert verdict.ok, verdict.checks
    assert verdict.kind == "ClrCredential"
    assert verdict.achievement_name == "Transcript"


def test_a_checked_signature_is_remembered_and_a_changed_document_is_checked_again(world, sent, monkeypatch):
    from credentials.services import verify as verify_module

    credential = credential_issue(enrollment_id=completed_enrollment(world).pk)
    calls: list[int] = []
    real = proof.verify

    def counting(document, *, public_key):
        calls.append(1)
        return real(document, public_key=public_key)

    monkeypatch.setattr(proof, "verify", counting)
    assert verify_module.verify_document(credential.document).ok
    assert verify_module.verify_document(credential.document).ok
    assert len(calls) == 1  # a new credential (its own id and salt): checked once, then remembered
    tampered = {**credential.document, "name": "Something else"}
    assert not verify_module.verify_document(tampered).ok
    assert len(calls) == 2


def test_a_warm_verification_reads_no_database_and_a_revocation_still_shows(
    issued, world, django_assert_num_queries
):
    from credentials.services.changes import credential_status_change
    from tenants.selectors import staff_access

    assert verify_document(issued.document).ok  # the issuer, its key, the unit's statuses: read once
    with django_assert_num_queries(0):
        assert verify_document(json.dumps(issued.document)).ok
    access = staff_access(tenant=world.a, user=world.a_unit1_admin)
    credential_status_change(
        tenant=world.a,
        access=access,
        actor=world.a_unit1_admin,
        credential_id=issued.pk,
        action="revoke",
        reason="Issued in error",
    )
    verdict = verify_document(issued.document)
    assert not verdict.ok
    assert "Issued in error" in checks(verdict)["status"].message

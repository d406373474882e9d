"""eddsa-rdfc-2022 against the W3C vc-di-eddsa test vector, offline."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from credentials.services import proof

# W3C vc-di-eddsa, TestVectors/keyPair.json and eddsa-rdfc-2022/signedDataInt.json.
KEY_PUBLIC = "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
KEY_SECRET = "z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq"
SIGNED: dict[str, Any] = {
    "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
    "id": "urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33",
    "type": ["VerifiableCredential", "AlumniCredential"],
    "name": "Alumni Credential",
    "description": "A minimum viable example of an Alumni Credential.",
    "issuer": "https://vc.example/issuers/5678",
    "validFrom": "2023-01-01T00:00:00Z",
    "credentialSubject": {"id": "did:example:abcdefgh", "alumniOf": "The School of Examples"},
    "proof": {
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-rdfc-2022",
        "created": "2023-02-24T23:36:38Z",
        "verificationMethod": f"https://vc.example/issuers/5678#{KEY_PUBLIC}",
        "proofPurpose": "assertionMethod",
        "proofValue": (
            "z21EVs3eXERqTn4acNHT9viboqgzUaQ3kTmhPT3eA8qrVPE7CrQq78WkzctnMX5W4CrzcKnHw8V6dvy5pgWYCU5e9"
        ),
    },
}


def test_the_w3c_key_pair_decodes_to_itself():
    secret = proof.multikey_private_decode(KEY_SECRET)
    assert proof.multikey_encode(secret.public_key()) == KEY_PUBLIC


def test_signing_reproduces_the_w3c_vector_exactly():
    secret = proof.multikey_private_decode(KEY_SECRET)
    unsigned = {k: v for k, v in SIGNED.items() if k != "proof"}
    signed = proof.sign(
        unsigned,
        private_key=secret,
        verification_method=SIGNED["proof"]["verificationMethod"],
        created=SIGNED["proof"]["created"],
    )
    assert signed == SIGNED  # Ed25519 is deterministic: the same proofValue, byte for byte


def test_the_w3c_vector_verifies_and_a_changed_field_does_not():
    public = proof.multikey_decode(KEY_PUBLIC)
    assert proof.verify(SIGNED, public_key=public)
    tampered = copy.deepcopy(SIGNED)
    tampered["credentialSubject"]["alumniOf"] = "The School of Forgeries"
    assert not proof.verify(tampered, public_key=public)


def test_an_unknown_context_is_refused_not_fetched():
    document = {**SIGNED, "@context": ["https://www.w3.org/ns/credentials/v2", "https://evil.example/ctx"]}
    with pytest.raises(proof.ProofError, match="not valid JSON-LD"):
        proof.verify(document, public_key=proof.multikey_decode(KEY_PUBLIC))


def test_base58_round_trips_leading_zeros():
    for data in (b"", b"\0", b"\0\0\x01", bytes(range(40))):
        assert proof.base58_decode(proof.base58_encode(data)) == data


@pytest.mark.parametrize("name", ["dcc-basic-obv3.json"])
def test_remembered_context_processing_gives_what_pyld_alone_gives(name):
    """proof.canonicalize keeps what processing a context gives; the N-Quads must be pyld's own,
    the first time and every time after (the W3C vector above checks the bytes of one)."""
    import json
    from pathlib import Path

    from pyld import jsonld  # type: ignore[import-untyped]

    fixture = json.loads((Path(__file__).parent / "fixtures" / name).read_text())
    for document in (fixture, SIGNED):
        unsecured = {k: v for k, v in document.items() if k != "proof"}
        alone = jsonld.normalize(
            copy.deepcopy(unsecured),
            {
                "algorithm": "URDNA2015",
                "format": "application/n-quads",
                "documentLoader": proof.document_loader,
                "contextResolver": jsonld.ContextResolver({}, proof.document_loader),
            },
        )
        assert proof.canonicalize(unsecured) == alone
        assert proof.canonicalize(copy.deepcopy(unsecured)) == alone  # remembered now

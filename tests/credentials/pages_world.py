"""Credentials as the issuer would have made them, for the learner's pages and e-mails: a
signed Open Badges 3.0 OpenBadgeCredential (shaped after the spec's examples) in a Credential
row. The signature is not checked here; the pages show the verifier's verdict, which these
tests stand in for (`verdict`)."""

from __future__ import annotations

import itertools
import uuid
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from catalog.models import Microcredential
from credentials.models import Credential, CredentialStatus, IssuerKey
from credentials.services.verify import Check, Verdict
from enrollment.models import Enrollment, EnrollmentStatus
from identity.models import User
from tenants.models import Unit
from tests.catalog.factories import OfferingFactory

_index = itertools.count(1)


def ob3_document(
    *,
    public_id: uuid.UUID,
    unit: Unit,
    microcredential: Microcredential,
    learner_name: str,
    issued_at: datetime,
    valid_until: datetime | None = None,
    host: str = "alpha.test",
) -> dict[str, Any]:
    issuer_id = f"did:web:{host}:issuers:{unit.slug}"
    document: dict[str, Any] = {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        ],
        "id": f"urn:uuid:{public_id}",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": microcredential.title,
        "issuer": {
            "id": issuer_id,
            "type": ["Profile"],
            "name": unit.name,
            "url": f"https://{host}/units/{unit.slug}/",
        },
        "validFrom": issued_at.isoformat().replace("+00:00", "Z"),
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [
                {
                    "type": "IdentityObject",
                    "identityHash": learner_name,
                    "identityType": "name",
                    "hashed": False,
                }
            ],
            "achievement": {
                "id": f"https://{host}/microcredentials/{microcredential.pk}/",
                "type": ["Achievement"],
                "achievementType": "MicroCredential",
                "name": microcredential.title,
                "description": "Learners clean, explore and chart data with pandas.",
                "criteria": {"narrative": "Complete every module and pass the final project."},
                "creditsAvailable": 3,
                "image": {"id": f"https://{host}/badges/{microcredential.pk}.png", "type": "Image"},
                "alignment": [
                    {
                        "type": ["Alignment"],
                        "targetName": "Data cleaning",
                        "targetUrl": "https://example.test/skills/1",
                    },
                    {
                        "type": ["Alignment"],
                        "targetName": "Charts",
                        "targetUrl": "https://example.test/skills/2",
                    },
                ],
            },
        },
        "credentialStatus": [
            {
                "id": f"https://{host}/credentials/status/{unit.slug}/revocation#7",
                "type": "BitstringStatusListEntry",
                "statusPurpose": "revocation",
                "statusListIndex": "7",
                "statusListCredential": f"https://{host}/credentials/status/{unit.slug}/revocation",
            }
        ],
        "proof": {
            "type": "DataIntegrityProof",
            "cryptosuite": "eddsa-rdfc-2022",
            "created": issued_at.isoformat().replace("+00:00", "Z"),
            "verificationMethod": f"{issuer_id}#key-1",
            "proofPurpose": "assertionMethod",
            "proofValue": (
                "z58DAdFfa9SkqZMVPxAQpic7ndSayn1PzZs6ZjWp1CktyGesjuTSwRdoWhAfGFCF5bppETSTojQCrfFPP2oumHKtz"
            ),
        },
    }
    if valid_until is not None:
        document["validUntil"] = valid_until.isoformat().replace("+00:00", "Z")
    return document


def issuer_key(unit: Unit) -> IssuerKey:
    key, _created = IssuerKey.objects.get_or_create(
        unit=unit,
        key_id="key-1",
        defaults={
            "tenant": unit.tenant,
            "public_key_multibase": "z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
            "private_key_encrypted": "not-a-real-key",
        },
    )
    return key


def make_credential(
    *,
    learner: User,
    unit: Unit,
    title: str = "Data Analysis with pandas",
    status: str = CredentialStatus.ACTIVE,
    reason: str = "",
    issued_at: datetime | None = None,
    valid_until: datetime | None = None,
    learner_name: str = "Ada Lovelace",
) -> Credential:
    issued_at = issued_at or timezone.now() - timedelta(days=3)
    offering = OfferingFactory.create(
        microcredential__unit=unit, microcredential__title=title, microcredential__skills="pandas, SQL"
    )
    enrollment = Enrollment.objects.create(
        tenant=unit.tenant, offering=offering, learner=learner, status=EnrollmentStatus.COMPLETED
    )
    public_id = uuid.uuid4()
    host = unit.tenant.domains.get(is_primary=True).host
    return Credential.objects.create(
        public_id=public_id,
        tenant=unit.tenant,
        unit=unit,
        learner=learner,
        microcredential=offering.microcredential,
        enrollment=enrollment,
        key=issuer_key(unit),
        document=ob3_document(
            public_id=public_id,
            unit=unit,
            microcredential=offering.microcredential,
            learner_name=learner_name,
            issued_at=issued_at,
            valid_until=valid_until,
            host=host,
        ),
        status=status,
        status_index=next(_index),
        status_reason=reason,
        status_changed_at=timezone.now() if status != CredentialStatus.ACTIVE else None,
        issued_at=issued_at,
        valid_until=valid_until,
    )


def verdict(ok: bool = True, *, failing: str = "") -> Verdict:
    checks = (
        Check(
            "proof",
            failing != "proof",
            "The signature matches the issuer's key."
            if failing != "proof"
            else "The signature does not match the document.",
        ),
        Check("issuer", True, "Issued by did:web:alpha.test:issuers:continuing-ed."),
        Check(
            "status",
            failing != "status",
            "Not revoked or suspended." if failing != "status" else "Revoked by the issuer.",
        ),
        Check("dates", True, "Valid from 29 Nov 2026; no expiry."),
    )
    return Verdict(
        ok=ok and not failing,
        checks=checks,
        kind="OpenBadgeCredential",
        issuer_id="did:web:alpha.test:issuers:continuing-ed",
        issuer_name="Alpha Continuing Ed",
        achievement_name="Data Analysis with pandas",
        subject_name="Ada Lovelace",
    )

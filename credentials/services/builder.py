"""The OpenBadgeCredential (Open Badges 3.0 on VC Data Model 2.0) a completion earns, unsigned.

The learner is named by a salted SHA-256 of their e-mail address (an IdentityObject), so the
credential says who without carrying the address; their name is added when they have one.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from catalog.models import Microcredential
from credentials.links import achievement_url, badge_image_url
from credentials.services import proof
from credentials.services.keys import issuer_profile
from credentials.services.status import iso, status_entries
from identity.models import User


def identity_hash(email: str, salt: str) -> str:
    return "sha256$" + hashlib.sha256((email.strip().lower() + salt).encode()).hexdigest()


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "skill"


def achievement(microcredential: Microcredential) -> dict[str, Any]:
    url = achievement_url(microcredential)
    outcomes = microcredential.outcome_list
    narrative = "\n".join(f"- {line}" for line in outcomes) or microcredential.summary
    body: dict[str, Any] = {
        "id": url,
        "type": ["Achievement"],
        "achievementType": "MicroCredential",
        "name": microcredential.title,
        "description": microcredential.description or microcredential.summary,
        "criteria": {"narrative": narrative},
        "image": {"id": badge_image_url(microcredential), "type": "Image", "caption": microcredential.title},
    }
    if microcredential.skill_list:
        body["tag"] = microcredential.skill_list
    if microcredential.credit_value and Decimal(microcredential.credit_value) > 0:
        body["creditsAvailable"] = float(microcredential.credit_value)
    if microcredential.skill_list:
        body["alignment"] = [
            {
                "type": ["Alignment"],
                "targetName": skill,
                "targetUrl": f"{url}#skill-{_slug(skill)}",
            }
            for skill in microcredential.skill_list
        ]
    return body


def open_badge_credential(
    *,
    public_id: uuid.UUID,
    microcredential: Microcredential,
    learner: User,
    status_index: int,
    valid_from: datetime,
    salt: str | None = None,
) -> dict[str, Any]:
    unit = microcredential.unit
    salt = salt or secrets.token_hex(16)
    subject: dict[str, Any] = {
        "type": ["AchievementSubject"],
        "identifier": [
            {
                "type": "IdentityObject",
                "identityHash": identity_hash(learner.email, salt),
                "identityType": "emailAddress",
                "hashed": True,
                "salt": salt,
            }
        ],
        "achievement": achievement(microcredential),
    }
    name = learner.full_name.strip()
    if name:
        subject["name"] = name
    return {
        "@context": [proof.VC_V2, proof.OB_V3],
        "id": f"urn:uuid:{public_id}",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": issuer_profile(unit=unit),
        "validFrom": iso(valid_from),
        "name": microcredential.title,
        "credentialSubject": subject,
        "credentialStatus": status_entries(unit=unit, index=status_index),
    }

"""The OpenBadgeCredential (Open Badges 3.0 on VC Data Model 2.0) a completion earns, unsigned.

The learner is named by a salted SHA-256 of their e-mail address (an IdentityObject), so the
credential says who without carrying the address; their name is added when they have one. The
completion's result ("A", "Pass", "87/100") and the credits it awarded are the subject's
`result` and `creditsEarned` (what a learner record's readers look for).
"""

from __future__ import annotations

import copy
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


def result_description_id(microcredential: Microcredential, *, site: str | None = None) -> str:
    return f"{achievement_url(microcredential, site=site)}#result"


def achievement(microcredential: Microcredential, *, site: str | None = None) -> dict[str, Any]:
    """The microcredential as an Open Badges Achievement. `site`: the tenant's site_url, when
    the caller builds many (each lookup is a query)."""
    url = achievement_url(microcredential, site=site)
    outcomes = microcredential.outcome_list
    narrative = "\n".join(f"- {line}" for line in outcomes) or microcredential.summary
    body: dict[str, Any] = {
        "id": url,
        "type": ["Achievement"],
        "achievementType": "MicroCredential",
        "name": microcredential.title,
        "description": microcredential.description or microcredential.summary,
        "criteria": {"narrative": narrative},
        "image": {
            "id": badge_image_url(microcredential, site=site),
            "type": "Image",
            "caption": microcredential.title,
        },
    }
    if microcredential.skill_list:
        body["tag"] = microcredential.skill_list
    if microcredential.credit_value and Decimal(microcredential.credit_value) > 0:
        body["creditsAvailable"] = float(microcredential.credit_value)
    # What a completion's result is (the value itself is in each credential's subject).
    body["resultDescription"] = [
        {
            "id": f"{url}#result",
            "type": ["ResultDescription"],
            "name": "Result",
            "resultType": "Result",
        }
    ]
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
    result: str = "",
    credits_earned: Decimal | None = None,
    achievement_body: dict[str, Any] | None = None,
    issuer: dict[str, Any] | None = None,
    hashed_identity: str | None = None,
) -> dict[str, Any]:
    """`achievement_body` (`achievement(microcredential)`) and `issuer` (`issuer_profile` of its
    unit): given when many are built at once (each is built the same way, with queries);
    `hashed_identity`: the learner's identityHash as given (batch issuing's templates)."""
    unit = microcredential.unit
    salt = salt or secrets.token_hex(16)
    subject: dict[str, Any] = {
        "type": ["AchievementSubject"],
        "identifier": [
            {
                "type": "IdentityObject",
                "identityHash": hashed_identity or identity_hash(learner.email, salt),
                "identityType": "emailAddress",
                "hashed": True,
                "salt": salt,
            }
        ],
        "achievement": copy.deepcopy(achievement_body) if achievement_body else achievement(microcredential),
    }
    if credits_earned is not None and credits_earned > 0:
        subject["creditsEarned"] = float(credits_earned)
    if result:
        subject["result"] = [
            {
                "type": ["Result"],
                "resultDescription": result_description_id(microcredential),
                "value": result,
            }
        ]
    name = learner.full_name.strip()
    if name:
        subject["name"] = name
    return {
        "@context": [proof.VC_V2, proof.OB_V3],
        "id": f"urn:uuid:{public_id}",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": dict(issuer) if issuer else issuer_profile(unit=unit),
        "validFrom": iso(valid_from),
        "name": microcredential.title,
        "credentialSubject": subject,
        "credentialStatus": status_entries(unit=unit, index=status_index),
    }

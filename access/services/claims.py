"""What a relying party learns about a learner (ID token and userinfo), by claim group.

- always: `sub`, stable per tenant and learner and meaningless elsewhere (an HMAC of both ids;
  ACCESS_SUBJECT_KEY, else SECRET_KEY, must never change);
- "email": `email`, `email_verified`;
- "profile": `name`, `given_name`, `family_name` (split from the full name), `preferred_username`;
- "enrollments": the learner's CONFIRMED and COMPLETED seats: offering id, microcredential title,
  the offering's LMS course reference, role "student", status, access dates;
- "entitlements": the active entitlements (access.services.entitlements): identifier, name, until;
  and `eduperson_entitlement`, the identifiers alone (a list of strings, as proxies expect).

A unit's relying party (its LMS) sees only that unit's enrollments and entitlements.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from allauth.account.models import EmailAddress
from django.conf import settings

from access.models import ClaimGroup
from access.services.entitlements import SEAT_STATES, entitlements_active, zone_of
from core.dates import local
from enrollment.models import Enrollment
from identity.models import User
from tenants.models import Tenant, Unit


def subject_for(*, tenant: Tenant, learner: User) -> str:
    """The learner's OIDC subject at this tenant (what an LMS links its account to)."""
    key = (settings.ACCESS_SUBJECT_KEY or settings.SECRET_KEY).encode()
    digest = hmac.new(key, f"microcred.oidc.sub:{tenant.pk}:{learner.pk}".encode(), hashlib.sha256)
    return digest.hexdigest()[:40]


def _names(full_name: str) -> dict[str, str]:
    parts = full_name.split()
    if not parts:
        return {}
    names = {"name": " ".join(parts), "given_name": " ".join(parts[:-1]) or parts[0]}
    if len(parts) > 1:
        names["family_name"] = parts[-1]
    return names


def _enrollments(*, tenant: Tenant, learner: User, unit: Unit | None) -> list[dict[str, Any]]:
    seats = (
        Enrollment.objects.filter(tenant=tenant, learner=learner, status__in=SEAT_STATES)
        .select_related("offering__microcredential__unit")
        .order_by("offering__starts_at", "pk")
    )
    if unit is not None:
        seats = seats.filter(offering__microcredential__unit=unit)
    rows = []
    for seat in seats:
        offering = seat.offering
        zone = zone_of(offering)
        rows.append(
            {
                "offering": str(offering.pk),
                "microcredential": offering.microcredential.title,
                "unit": offering.microcredential.unit.slug,
                "lms_course_ref": offering.lms_course_ref,
                "role": "student",
                "status": seat.status,
                "access_from": local(offering.starts_at, zone).date().isoformat(),
                "access_until": local(offering.ends_at, zone).date().isoformat(),
            }
        )
    return rows


def claims_for(
    *, tenant: Tenant, learner: User, groups: Iterable[str], now: datetime, unit: Unit | None = None
) -> dict[str, Any]:
    """The claims of the given groups (ClaimGroup values), `sub` always."""
    wanted = set(groups)
    claims: dict[str, Any] = {"sub": subject_for(tenant=tenant, learner=learner)}
    if ClaimGroup.EMAIL in wanted:
        claims["email"] = learner.email
        claims["email_verified"] = EmailAddress.objects.filter(
            user=learner, email__iexact=learner.email, verified=True
        ).exists()
    if ClaimGroup.PROFILE in wanted:
        claims.update(_names(learner.full_name))
        claims["preferred_username"] = learner.email
    if ClaimGroup.ENROLLMENTS in wanted:
        claims["enrollments"] = _enrollments(tenant=tenant, learner=learner, unit=unit)
    if ClaimGroup.ENTITLEMENTS in wanted:
        best: dict[str, dict[str, Any]] = {}
        for e in entitlements_active(tenant=tenant, learner=learner, now=now, unit=unit):
            row = {"identifier": e.identifier, "name": e.name, "until": e.until.isoformat()}
            if e.identifier not in best or best[e.identifier]["until"] < row["until"]:
                best[e.identifier] = row
        claims["entitlements"] = sorted(best.values(), key=lambda r: r["identifier"])
        # The same identifiers as plain strings, under REFEDS' name for eduPersonEntitlement in
        # OpenID Connect: what a library proxy maps to its groups.
        claims["eduperson_entitlement"] = [r["identifier"] for r in claims["entitlements"]]
    return claims

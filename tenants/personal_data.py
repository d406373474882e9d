"""What tenants holds about a person: staff roles, API tokens, invitations addressed to them."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from identity.models import User
from tenants.models import ApiToken, StaffInvitation, StaffMembership


def export(user: User) -> dict[str, Any]:
    return {
        "roles": [
            {
                "institution": m.tenant.name,
                "role": m.role,
                "all_units": m.all_units,
                "units": sorted(u.name for u in m.units.all()),
                "since": m.created_at.isoformat(),
            }
            for m in StaffMembership.objects.filter(user=user)
            .select_related("tenant")
            .prefetch_related("units")
            .order_by("created_at")
        ],
        # Names and prefixes only: the token itself is never stored.
        "api_tokens": [
            {
                "institution": t.tenant.name,
                "name": t.name,
                "prefix": t.prefix,
                "role": t.role,
                "created_at": t.created_at.isoformat(),
                "last_used_at": t.last_used_at.isoformat() if t.last_used_at else None,
                "revoked_at": t.revoked_at.isoformat() if t.revoked_at else None,
            }
            for t in ApiToken.objects.filter(user=user).select_related("tenant").order_by("created_at")
        ],
        "invitations_received": [
            {
                "institution": i.tenant.name,
                "role": i.role,
                "sent_at": i.created_at.isoformat(),
                "accepted_at": i.accepted_at.isoformat() if i.accepted_at else None,
            }
            for i in StaffInvitation.objects.filter(email__iexact=user.email).select_related("tenant")
        ],
    }


def deletion_blocker(user: User) -> str | None:
    roles = list(StaffMembership.objects.filter(user=user).select_related("tenant"))
    if not roles:
        return None
    places = ", ".join(sorted({m.tenant.name for m in roles}))
    return _(
        "You are staff of %(places)s. Ask an administrator there to remove your role before deleting "
        "your account."
    ) % {"places": places}


def erase(user: User, reference: str) -> None:
    """Tokens go. Invitations stay (who invited whom is the tenant's history), addressed to the
    anonymous reference; the ones this person sent keep pointing at the anonymous account."""
    ApiToken.objects.filter(user=user).delete()
    StaffInvitation.objects.filter(email__iexact=user.email).update(email=f"{reference}@deleted.invalid")

"""The account's own personal data: the user row, its e-mail addresses, social logins, MFA."""

from __future__ import annotations

from typing import Any

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.socialaccount.models import SocialAccount

from identity.models import User


def export(user: User) -> dict[str, Any]:
    return {
        "email": user.email,
        "full_name": user.full_name,
        "preferred_name": user.preferred_name,
        "phone": user.phone,
        "date_joined": user.date_joined.isoformat(),
        "last_login": user.last_login.isoformat() if user.last_login else None,
        "has_password": user.has_usable_password(),
        "email_addresses": [
            {"email": a.email, "verified": a.verified, "primary": a.primary}
            for a in EmailAddress.objects.filter(user=user).order_by("-primary", "email")
        ],
        "social_accounts": [
            {"provider": a.provider, "uid": a.uid, "date_joined": a.date_joined.isoformat()}
            for a in SocialAccount.objects.filter(user=user).order_by("provider", "uid")
        ],
        # Which second factors exist, never their secrets.
        "authenticators": [
            {"type": a.type, "created_at": a.created_at.isoformat()}
            for a in Authenticator.objects.filter(user=user).order_by("type")
        ],
    }


def erase(user: User, reference: str) -> None:
    EmailAddress.objects.filter(user=user).delete()
    SocialAccount.objects.filter(user=user).delete()
    Authenticator.objects.filter(user=user).delete()

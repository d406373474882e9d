"""The OpenID provider's personal data: which systems the person signed in to with their account
(DOT's grants and tokens). Deleting the account ends every sign-in at once (tokens, codes and
ID-token records are deleted, so no system can read claims any more)."""

from __future__ import annotations

from typing import Any

from oauth2_provider.models import AccessToken, Grant, IDToken, RefreshToken

from identity.models import User
from identity.registry import register_personal_data


def export(user: User) -> list[dict[str, Any]]:
    tokens = AccessToken.objects.filter(user=user).select_related("application").order_by("created", "pk")
    return [
        {
            "system": t.application.name if t.application else "",
            "scopes": t.scope,
            "signed_in_at": t.created.isoformat(),
            "expires_at": t.expires.isoformat(),
        }
        for t in tokens
    ]


def erase(user: User, reference: str) -> None:
    RefreshToken.objects.filter(user=user).delete()
    AccessToken.objects.filter(user=user).delete()
    IDToken.objects.filter(user=user).delete()
    Grant.objects.filter(user=user).delete()


def register() -> None:
    register_personal_data("oidc_sign_ins", export=export, erase=erase)

"""The provider's own pages over django-oauth-toolkit's views: the tenant's discovery document
(its issuer and endpoints at its site address, RS256 only) and its key set."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpResponse, JsonResponse
from django.urls import reverse
from django.utils import timezone
from oauth2_provider.settings import oauth2_settings
from oauth2_provider.views import ConnectDiscoveryInfoView

from access.models import ClaimGroup
from access.services import keys
from tenants.http import TenantRequest
from tenants.mail import site_url

ENDPOINTS = {
    "authorization_endpoint": "authorize",
    "token_endpoint": "token",
    "userinfo_endpoint": "user-info",
    "jwks_uri": "jwks-info",
    "end_session_endpoint": "rp-initiated-logout",
    "revocation_endpoint": "revoke-token",
}
CLAIMS = {
    None: ["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce"],
    ClaimGroup.EMAIL: ["email", "email_verified"],
    ClaimGroup.PROFILE: ["name", "given_name", "family_name", "preferred_username"],
    ClaimGroup.ENROLLMENTS: ["enrollments"],
    ClaimGroup.ENTITLEMENTS: ["entitlements", "eduperson_entitlement"],
}


class TenantDiscoveryView(ConnectDiscoveryInfoView):  # type: ignore[misc]
    def get(self, request: TenantRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().get(request, *args, **kwargs)
        data = json.loads(response.content)
        issuer = site_url(request.tenant)
        data["issuer"] = issuer
        for field, name in ENDPOINTS.items():
            data[field] = issuer + reverse(f"oauth2_provider:{name}")
        data["id_token_signing_alg_values_supported"] = ["RS256"]
        data["grant_types_supported"] = ["authorization_code", "refresh_token"]
        data["code_challenge_methods_supported"] = ["S256"]
        data["claims_supported"] = [c for group in CLAIMS.values() for c in group]
        data["scopes_supported"] = list(oauth2_settings.SCOPES)
        answer = JsonResponse(data)
        answer["Access-Control-Allow-Origin"] = "*"
        return answer


def jwks(request: TenantRequest) -> HttpResponse:
    """The tenant's public keys: the current one and recently retired ones."""
    response = JsonResponse(keys.jwks(tenant=request.tenant, now=timezone.now()))
    response["Access-Control-Allow-Origin"] = "*"
    response["Cache-Control"] = "public, max-age=3600"
    return response

"""API authentication for non-browser clients: `Authorization: Bearer <personal API token>`.

A token works only on its own tenant's host, only while its owner still holds the role it was
made for, and reaches only what that role reaches (tenants.selectors.staff_access_for_token).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.request import Request

from core.errors import MicrocredError
from identity.models import User
from tenants.models import ApiToken, StaffMembership
from tenants.selectors import StaffAccess, mfa_setup_required, staff_access, staff_access_for_token
from tenants.services import api_token_hash, api_token_touch


class MfaRequired(MicrocredError):
    code = "mfa_required"
    status = 403


def api_staff_access(request: Request) -> StaffAccess:
    """What the caller reaches here: a token's one role, or the signed-in person's roles."""
    tenant = request._request.tenant  # type: ignore[attr-defined]
    token = token_of(request)
    if token is not None:
        return staff_access_for_token(tenant=tenant, token=token)
    access = staff_access(tenant=tenant, user=request.user)  # type: ignore[arg-type]
    if access.is_staff and mfa_setup_required(access=access, user=request.user):  # type: ignore[arg-type]
        raise MfaRequired(_("Your role needs two-factor authentication: set up an authenticator app first."))
    return access


class ApiTokenAuthentication(BaseAuthentication):
    keyword = b"bearer"

    def authenticate(self, request: Request) -> tuple[User, ApiToken] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(_("Send the token as: Authorization: Bearer <token>."))
        try:
            raw = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(_("This API token is not valid.")) from None
        tenant = getattr(request._request, "tenant", None)
        token = (
            ApiToken.objects.select_related("user")
            .filter(token_hash=api_token_hash(raw), revoked_at__isnull=True)
            .first()
        )
        # Another tenant's token reads the same as an unknown one: nothing about it leaks.
        if token is None or tenant is None or token.tenant_id != tenant.pk or not token.user.is_active:
            raise exceptions.AuthenticationFailed(
                _("This API token is not valid for this site, or it was revoked.")
            )
        if not StaffMembership.objects.filter(tenant=tenant, user=token.user, role=token.role).exists():
            raise exceptions.AuthenticationFailed(_("The role this API token was made for has been removed."))
        api_token_touch(token=token)
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        # Makes DRF answer 401 (with this challenge) instead of 403 when no credentials are sent.
        return 'Bearer realm="api"'


def token_of(request: Any) -> ApiToken | None:
    auth = getattr(request, "auth", None)
    return auth if isinstance(auth, ApiToken) else None


class ApiTokenScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    """Describes the token to the OpenAPI schema (drf-spectacular)."""

    target_class = "tenants.api_auth.ApiTokenAuthentication"
    name = "PersonalApiToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A personal API token from the staff console (API tokens).",
        }

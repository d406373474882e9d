"""django-oauth-toolkit, made per tenant: each tenant is its own OpenID provider at its host.

- TenantOAuthLibCore passes the request's tenant (tenants.middleware) to the validator in the
  oauthlib request's headers (a WSGI-side key, which no client header can set).
- TenantValidator refuses clients of other tenants and disabled ones ("invalid client"), and
  tokens they hold; keeps the scopes to the claim groups the relying party was granted; builds
  the claims (access.services.claims); signs ID tokens with the tenant's own RS256 key
  (access.services.keys) instead of DOT's one global OIDC_RSA_PRIVATE_KEY, with its kid; and
  gives the tenant's site address as issuer; and hashes again, with the fast client-secret
  hasher (access.hashers), a secret stored with an older one when it is first used.
- OneRoster clients (kind "oneroster", client credentials) get only the OneRoster scopes they
  were granted (access.oneroster.scopes).
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib.auth.hashers import identify_hasher, make_password
from django.db import router, transaction
from django.http import HttpRequest
from django.utils import timezone
from jwcrypto import jws, jwt
from jwcrypto.common import JWException
from oauth2_provider.models import Application, IDToken
from oauth2_provider.oauth2_backends import OAuthLibCore, _add_iss_to_redirect
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauth2_provider.settings import oauth2_settings

from access.hashers import ALGORITHM
from access.models import ClientKind, RelyingParty
from access.oneroster.scopes import ONEROSTER_SCOPES
from access.services import keys
from access.services.claims import claims_for
from tenants.mail import site_url
from tenants.models import Tenant

TENANT_HEADER = "MICROCRED_TENANT_ID"


class TenantOAuthLibCore(OAuthLibCore):  # type: ignore[misc]
    def extract_headers(self, request: HttpRequest) -> dict[str, Any]:
        headers: dict[str, Any] = super().extract_headers(request)
        headers.pop(TENANT_HEADER, None)
        tenant = getattr(request, "tenant", None)
        if tenant is not None:
            headers[TENANT_HEADER] = str(tenant.pk)
        return headers

    def create_authorization_response(
        self, request: HttpRequest, scopes: Any, credentials: dict[str, Any], allow: bool
    ) -> tuple[Any, dict[str, Any], Any, int]:
        """As DOT's; the RFC 9207 `iss` on the redirect is the tenant's issuer, exactly as its
        discovery document says (DOT would derive it from the request's host and scheme)."""
        uri, headers, body, status = super().create_authorization_response(
            request, scopes, credentials, allow
        )
        tenant = getattr(request, "tenant", None)
        if (
            uri is not None
            and tenant is not None
            and oauth2_settings.COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS
        ):
            uri = _add_iss_to_redirect(uri, site_url(tenant))
            headers["Location"] = uri
        return uri, headers, body, status


def _tenant(request: Any) -> Tenant | None:
    """The tenant whose host the request came to (a Django or an oauthlib request)."""
    if isinstance(request, HttpRequest):
        return getattr(request, "tenant", None)
    cached = getattr(request, "_microcred_tenant", None)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    raw = (getattr(request, "headers", None) or {}).get(TENANT_HEADER)
    tenant = Tenant.objects.filter(pk=int(raw)).first() if raw and str(raw).isdigit() else None
    request._microcred_tenant = tenant
    return tenant


def relying_party_of(application: Application | None) -> RelyingParty | None:
    if application is None:
        return None
    try:
        rp: RelyingParty = application.relying_party
    except RelyingParty.DoesNotExist:
        return None
    return rp


def usable(application: Application | None, tenant: Tenant | None) -> bool:
    """A client is usable on this host only if it is this tenant's and not disabled."""
    rp = relying_party_of(application)
    return rp is not None and tenant is not None and rp.tenant_id == tenant.pk and rp.disabled_at is None


class TenantValidator(OAuth2Validator):  # type: ignore[misc]
    def _check_secret(self, provided_secret: str, stored_secret: str) -> bool:
        """As DOT's; a secret hashed with another hasher (PBKDF2, before access.hashers) that
        matches is hashed again with the client-secret hasher, so the next check is fast."""
        ok = bool(super()._check_secret(provided_secret, stored_secret))
        if ok and not stored_secret.startswith(ALGORITHM + "$"):
            try:
                identify_hasher(stored_secret)
            except ValueError:
                return ok  # kept in clear (hash_client_secret off): left as it is
            # The stored hash is salted, so it names its one row.
            Application.objects.filter(client_secret=stored_secret).update(
                client_secret=make_password(provided_secret, hasher=oauth2_settings.CLIENT_SECRET_HASHER)
            )
        return ok

    def _load_application(self, client_id: str, request: Any) -> Application | None:
        client = super()._load_application(client_id, request)
        if client is not None and not usable(client, _tenant(request)):
            request.client = None
            return None
        return client

    def validate_bearer_token(self, token: str, scopes: list[str], request: Any) -> bool:
        if not super().validate_bearer_token(token, scopes, request):
            return False
        if not usable(request.client, _tenant(request)):
            request.oauth2_error = {
                "error": "invalid_token",
                "error_description": "The access token is invalid.",
            }
            return False
        return True

    def is_pkce_required(self, client_id: str, request: Any) -> bool:
        """PKCE unless the relying party is exempt (a confidential client that cannot send it);
        a challenge that was sent is always checked."""
        rp = relying_party_of(getattr(request, "client", None))
        return rp is None or rp.pkce_required

    def validate_scopes(
        self, client_id: str, scopes: list[str], client: Any, request: Any, *args: Any, **kwargs: Any
    ) -> bool:
        """Known scopes only; those the relying party was not granted are dropped, not refused
        (an LMS asking for "profile" without it still signs the learner in)."""
        rp = relying_party_of(client)
        if rp is not None and rp.kind == ClientKind.ONEROSTER:
            # A roster reader (client credentials) gets the OneRoster scopes it was granted.
            if not set(scopes) <= ONEROSTER_SCOPES:
                return False
            request.scopes = [s for s in scopes if s in rp.claims]
            return bool(request.scopes)
        if not set(scopes) <= set(oauth2_settings.SCOPES):
            return False
        granted = {"openid", *(rp.claims if rp else [])}
        request.scopes = [s for s in scopes if s in granted]
        return True

    def get_default_scopes(self, client_id: str, request: Any, *args: Any, **kwargs: Any) -> list[str]:
        """A roster reader that names no scope gets every scope it was granted."""
        rp = relying_party_of(getattr(request, "client", None))
        if rp is not None and rp.kind == ClientKind.ONEROSTER:
            return list(rp.claims)
        return list(super().get_default_scopes(client_id, request, *args, **kwargs))

    def get_oidc_issuer_endpoint(self, request: Any) -> str:
        tenant = _tenant(request)
        if tenant is None:
            return str(super().get_oidc_issuer_endpoint(request))
        return site_url(tenant)

    def get_oidc_claims(self, token: Any, token_handler: Any, request: Any) -> dict[str, Any]:
        rp = relying_party_of(request.client)
        if rp is None:
            return {}
        groups = [g for g in rp.claims if g in (request.scopes or [])]
        return claims_for(
            tenant=rp.tenant, learner=request.user, groups=groups, now=timezone.now(), unit=rp.unit
        )

    def finalize_id_token(
        self, id_token: dict[str, Any], token: Any, token_handler: Any, request: Any
    ) -> str:
        """As DOT's, signed with the tenant's current key."""
        claims, expiration_time = self.get_id_token_dictionary(token, token_handler, request)
        id_token.update(**claims)
        if "nonce" not in id_token and request.nonce:
            id_token["nonce"] = request.nonce
        rp = relying_party_of(request.client)
        if rp is None:  # unreachable: _load_application refused the client
            raise ValueError("ID token for a client without a relying party")
        key = keys.signing_key_current(tenant=rp.tenant)
        header = {"typ": "JWT", "alg": "RS256", "kid": key.kid}
        signed = jwt.JWT(header=json.dumps(header), claims=json.dumps(id_token, default=str))
        signed.make_signed_token(keys.private_jwk(key))
        with transaction.atomic(using=router.db_for_write(IDToken)):
            saved = self._save_id_token(id_token["jti"], request, expiration_time)
        request.access_token = saved
        request.id_token = saved
        return str(signed.serialize())

    def _get_key_for_token(self, token: str) -> Any:
        """The public key that signed an ID token (logout's id_token_hint): its audience's
        tenant's published key with the token's kid."""
        try:
            unverified = jws.JWS()
            unverified.deserialize(token)
            header = unverified.jose_header
            payload = json.loads(unverified.objects["payload"].decode("utf-8"))
        except (JWException, ValueError, KeyError, TypeError, UnicodeDecodeError, AttributeError):
            return None
        if not isinstance(payload, dict) or not isinstance(header, dict) or "aud" not in payload:
            return None
        audience = payload["aud"]
        audience = [audience] if isinstance(audience, str) else audience
        if not isinstance(audience, list) or not all(isinstance(a, str) for a in audience):
            return None
        rp = relying_party_of(self._get_client_by_audience(audience))
        kid = header.get("kid")
        if rp is None or not isinstance(kid, str):
            return None
        key = keys.key_for_kid(tenant=rp.tenant, kid=kid, now=timezone.now())
        return keys.public_jwk(key) if key else None

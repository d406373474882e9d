"""The provider end to end: authlib's OAuth 2 client runs the authorization code flow with PKCE
against the live server, as an LMS would, and verifies the ID token against the tenant's JWKS."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from django.conf import settings
from django.test import Client
from django.utils import timezone
from joserfc import jwt
from joserfc.errors import BadSignatureError, InvalidKeyIdError
from joserfc.jwk import KeySet
from joserfc.jws import extract_compact
from oauth2_provider.models import AccessToken

from access.models import Entitlement, RelyingParty, SigningKey
from access.services.claims import subject_for
from access.services.keys import signing_key_rotate
from access.services.relying_parties import Registered, relying_party_disable
from enrollment.services.changes import enrollment_cancel
from tests.access.conftest import REDIRECT, Provider

pytestmark = pytest.mark.django_db(transaction=True)

ALL_SCOPES = "openid email profile enrollments entitlements"


def _signed_in(provider: Provider, host: str = "localhost") -> dict[str, str]:
    client = Client(HTTP_HOST=host)
    client.force_login(provider.learner)
    return {settings.SESSION_COOKIE_NAME: client.cookies[settings.SESSION_COOKIE_NAME].value}


def _discovery(url: str) -> dict[str, Any]:
    answer = requests.get(f"{url}/.well-known/openid-configuration", timeout=10)
    assert answer.status_code == 200
    return answer.json()  # type: ignore[no-any-return]


def _session(rp: Registered, *, scope: str = ALL_SCOPES, redirect_uri: str = REDIRECT) -> OAuth2Session:
    return OAuth2Session(
        rp.relying_party.application.client_id,
        rp.client_secret,
        scope=scope,
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
        token_endpoint_auth_method="client_secret_basic",
    )


def _authorize(session: OAuth2Session, url: str, cookies: dict[str, str], verifier: str) -> requests.Response:
    uri, _state = session.create_authorization_url(
        f"{url}/oidc/authorize/", code_verifier=verifier, nonce="n-0S6"
    )
    session.cookies.update(cookies)
    answer: requests.Response = session.get(uri, allow_redirects=False, withhold_token=True)
    return answer


def _code_flow(
    provider: Provider, rp: Registered | None = None, **kwargs: str
) -> tuple[OAuth2Session, dict[str, Any]]:
    rp = rp or provider.lms
    session = _session(rp, **kwargs)
    verifier = generate_token(48)
    answer = _authorize(session, provider.url, _signed_in(provider), verifier)
    assert answer.status_code == 302, answer.text[:500]
    token = session.fetch_token(
        f"{provider.url}/oidc/token/",
        authorization_response=answer.headers["Location"],
        code_verifier=verifier,
    )
    return session, dict(token)


def _verified(provider: Provider, id_token: str, url: str | None = None) -> dict[str, Any]:
    keys = requests.get(f"{url or provider.url}/oidc/jwks/", timeout=10).json()
    decoded = jwt.decode(id_token, KeySet.import_key_set(keys), algorithms=["RS256"])
    registry = jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": provider.url},
        aud={"essential": True, "value": provider.lms.relying_party.application.client_id},
        exp={"essential": True},
    )
    registry.validate(decoded.claims)
    return decoded.claims


def test_discovery_names_the_tenants_issuer_and_endpoints(provider):
    config = _discovery(provider.url)

    assert config["issuer"] == provider.url
    assert config["authorization_endpoint"] == f"{provider.url}/oidc/authorize/"
    assert config["token_endpoint"] == f"{provider.url}/oidc/token/"
    assert config["userinfo_endpoint"] == f"{provider.url}/oidc/userinfo/"
    assert config["jwks_uri"] == f"{provider.url}/oidc/jwks/"
    assert config["end_session_endpoint"] == f"{provider.url}/oidc/logout/"
    assert config["code_challenge_methods_supported"] == ["S256"]
    assert config["id_token_signing_alg_values_supported"] == ["RS256"]
    assert "entitlements" in config["scopes_supported"]
    assert _discovery(provider.other_url)["issuer"] == provider.other_url


def test_a_signed_in_learner_passes_through_and_the_lms_gets_verified_claims(provider):
    session, token = _code_flow(provider)

    claims = _verified(provider, token["id_token"])
    assert claims["sub"] == subject_for(tenant=provider.tenant, learner=provider.learner)
    assert str(provider.learner.pk) != claims["sub"]
    assert claims["nonce"] == "n-0S6"
    assert claims["email"] == "ada@learners.test"
    assert (claims["given_name"], claims["family_name"]) == ("Ada King", "Lovelace")
    [enrollment] = claims["enrollments"]
    assert enrollment["lms_course_ref"] == "NURS-101"
    assert enrollment["microcredential"] == "Wound care"
    assert enrollment["role"] == "student"
    assert "refresh_token" in token

    userinfo = session.get(f"{provider.url}/oidc/userinfo/").json()
    assert userinfo["sub"] == claims["sub"]
    assert userinfo["enrollments"][0]["offering"] == str(provider.enrollment.offering_id)


def test_the_subject_differs_between_tenants(provider):
    assert subject_for(tenant=provider.tenant, learner=provider.learner) != subject_for(
        tenant=provider.other, learner=provider.learner
    )


def test_a_refresh_token_gives_a_new_access_token(provider):
    session, token = _code_flow(provider)

    fresh = session.refresh_token(f"{provider.url}/oidc/token/", refresh_token=token["refresh_token"])

    assert fresh["access_token"] != token["access_token"]
    assert session.get(f"{provider.url}/oidc/userinfo/").status_code == 200


def test_claims_change_when_the_enrollment_is_cancelled(provider):
    session, _token = _code_flow(provider)
    assert len(session.get(f"{provider.url}/oidc/userinfo/").json()["enrollments"]) == 1

    enrollment_cancel(tenant=provider.tenant, learner=provider.learner, enrollment_id=provider.enrollment.pk)

    assert session.get(f"{provider.url}/oidc/userinfo/").json()["enrollments"] == []
    _session2, token = _code_flow(provider)
    assert _verified(provider, token["id_token"])["enrollments"] == []


def test_a_wrong_redirect_uri_is_refused_without_a_redirect(provider):
    session = _session(provider.lms, redirect_uri="https://evil.example.test/callback")

    answer = _authorize(session, provider.url, _signed_in(provider), generate_token(48))

    assert answer.status_code == 400
    assert "evil.example.test" not in answer.headers.get("Location", "")
    assert "Sign-in refused" in answer.text


def _code_and_verifier(provider: Provider) -> tuple[OAuth2Session, str, str]:
    session = _session(provider.lms)
    verifier = generate_token(48)
    answer = _authorize(session, provider.url, _signed_in(provider), verifier)
    return session, answer.headers["Location"], verifier


def _token_error(session: OAuth2Session, provider: Provider, code: str, verifier: str) -> requests.Response:
    return requests.post(
        f"{provider.url}/oidc/token/",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "code_verifier": verifier,
        },
        auth=(session.client_id, session.client_secret),
        timeout=10,
    )


def test_the_redirect_names_the_tenants_issuer(provider):
    _session, location, _verifier = _code_and_verifier(provider)

    assert location.startswith(REDIRECT + "?")
    assert parse_qs(urlparse(location).query)["iss"] == [provider.url]


def test_a_code_is_good_once(provider):
    session, location, verifier = _code_and_verifier(provider)
    code = parse_qs(urlparse(location).query)["code"][0]
    assert _token_error(session, provider, code, verifier).status_code == 200

    again = _token_error(session, provider, code, verifier)

    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"


def test_a_wrong_pkce_verifier_is_refused(provider):
    session, location, _verifier = _code_and_verifier(provider)
    code = parse_qs(urlparse(location).query)["code"][0]

    answer = _token_error(session, provider, code, generate_token(48))

    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_grant"


def test_a_request_without_pkce_is_refused(provider):
    session = _session(provider.lms)
    uri, _state = session.create_authorization_url(f"{provider.url}/oidc/authorize/")
    session.cookies.update(_signed_in(provider))

    answer = session.get(uri, allow_redirects=False, withhold_token=True)

    assert "code=" not in answer.headers.get("Location", "")
    assert "error=invalid_request" in answer.headers.get("Location", "") or answer.status_code == 400


def test_a_client_exempt_from_pkce_signs_in_with_its_secret_alone(provider):
    RelyingParty.objects.filter(pk=provider.lms.relying_party.pk).update(pkce_required=False)
    session = _session(provider.lms)
    uri, _state = session.create_authorization_url(f"{provider.url}/oidc/authorize/")
    session.cookies.update(_signed_in(provider))
    answer = session.get(uri, allow_redirects=False, withhold_token=True)

    token = session.fetch_token(
        f"{provider.url}/oidc/token/", authorization_response=answer.headers["Location"]
    )

    assert _verified(provider, token["id_token"])["email"] == "ada@learners.test"


def test_an_expired_access_token_gets_no_userinfo(provider):
    session, _token = _code_flow(provider)
    AccessToken.objects.filter(application=provider.lms.relying_party.application).update(
        expires=timezone.now() - timedelta(seconds=1)
    )

    answer = session.get(f"{provider.url}/oidc/userinfo/")

    assert answer.status_code == 401
    assert "expired" in answer.headers.get("WWW-Authenticate", "") or answer.status_code == 401


def test_another_tenants_client_is_an_invalid_client_here(provider):
    session = _session(provider.other_lms)

    answer = _authorize(session, provider.url, _signed_in(provider), generate_token(48))

    assert answer.status_code == 400
    assert "invalid_client" in answer.text or "Sign-in refused" in answer.text


def test_another_tenants_access_token_gets_no_userinfo_here(provider):
    session, _token = _code_flow(provider)

    answer = session.get(f"{provider.other_url}/oidc/userinfo/")

    assert answer.status_code == 401


def test_a_disabled_client_is_refused_and_its_tokens_stop(provider):
    session, token = _code_flow(provider)
    relying_party_disable(tenant=provider.tenant, pk=provider.lms.relying_party.pk)

    assert session.get(f"{provider.url}/oidc/userinfo/").status_code == 401
    refreshed = requests.post(
        f"{provider.url}/oidc/token/",
        data={"grant_type": "refresh_token", "refresh_token": token["refresh_token"]},
        auth=(session.client_id, session.client_secret),
        timeout=10,
    )
    assert refreshed.status_code in (400, 401)
    assert refreshed.json()["error"] == "invalid_client"
    answer = _authorize(_session(provider.lms), provider.url, _signed_in(provider), generate_token(48))
    assert answer.status_code == 400


def test_rotation_keeps_old_tokens_verifiable_and_signs_new_ones_with_the_new_key(provider):
    _session1, old = _code_flow(provider)
    old_kid = SigningKey.objects.get(tenant=provider.tenant).kid

    new_key = signing_key_rotate(tenant=provider.tenant)
    _session2, new = _code_flow(provider)

    assert _verified(provider, old["id_token"])["sub"] == _verified(provider, new["id_token"])["sub"]
    header_kids = {extract_compact(t["id_token"].encode()).protected["kid"] for t in (old, new)}
    assert header_kids == {old_kid, new_key.kid}


def test_another_tenants_keys_do_not_verify_this_tenants_tokens(provider):
    _session, token = _code_flow(provider)
    requests.get(f"{provider.other_url}/oidc/jwks/", timeout=10)  # beta's key exists

    with pytest.raises((BadSignatureError, InvalidKeyIdError)):
        _verified(provider, token["id_token"], url=provider.other_url)


def test_a_third_party_client_asks_for_consent_once_and_gets_only_its_claims(provider):
    Entitlement.objects.create(
        tenant=provider.tenant,
        offering=provider.enrollment.offering,
        name="Library e-resources",
        identifier="urn:mace:dir:entitlement:common-lib-terms",
        days_before_start=7,
    )
    session = _session(provider.library, redirect_uri="https://proxy.example.test/oidc")
    verifier = generate_token(48)
    cookies = _signed_in(provider)
    page = _authorize(session, provider.url, cookies, verifier)
    assert page.status_code == 200
    assert "Sign in to Library proxy with your account?" in page.text
    assert "What your enrollments give you access to" in page.text
    assert "Your e-mail address" not in page.text  # not granted: not asked for
    fields = dict(re.findall(r'<input type="hidden" name="([\w-]+)" value="([^"]*)"', page.text))
    fields["allow"] = "Authorize"

    answer = session.post(page.url, data=fields, allow_redirects=False, withhold_token=True)

    assert answer.status_code == 302
    token = session.fetch_token(
        f"{provider.url}/oidc/token/",
        authorization_response=answer.headers["Location"],
        code_verifier=verifier,
    )
    userinfo = session.get(f"{provider.url}/oidc/userinfo/").json()
    assert set(userinfo) == {"sub", "entitlements", "eduperson_entitlement"}
    assert userinfo["eduperson_entitlement"] == ["urn:mace:dir:entitlement:common-lib-terms"]
    assert "id_token" in token

    enrollment_cancel(tenant=provider.tenant, learner=provider.learner, enrollment_id=provider.enrollment.pk)

    assert session.get(f"{provider.url}/oidc/userinfo/").json()["eduperson_entitlement"] == []


def test_an_anonymous_learner_is_sent_to_sign_in_and_back(provider):
    session = _session(provider.lms)
    uri, _state = session.create_authorization_url(
        f"{provider.url}/oidc/authorize/", code_verifier=generate_token(48)
    )

    answer = session.get(uri, allow_redirects=False, withhold_token=True)

    assert answer.status_code == 302
    location = answer.headers["Location"]
    assert location.startswith("/accounts/login/")
    assert "next=/oidc/authorize/" in location


def test_rp_initiated_logout_ends_the_session_and_returns_to_the_lms(provider):
    from access.services.relying_parties import relying_party_update

    relying_party_update(
        tenant=provider.tenant,
        pk=provider.lms.relying_party.pk,
        name="Nursing Moodle",
        unit=provider.unit,
        redirect_uris=REDIRECT,
        post_logout_redirect_uris="https://lms.example.test/logged-out",
        claims=provider.lms.relying_party.claims,
        first_party=True,
    )
    session, token = _code_flow(provider)

    answer = session.get(
        f"{provider.url}/oidc/logout/",
        params={
            "id_token_hint": token["id_token"],
            "post_logout_redirect_uri": "https://lms.example.test/logged-out",
        },
        allow_redirects=False,
    )

    assert answer.status_code == 302
    assert answer.headers["Location"].startswith("https://lms.example.test/logged-out")
    again = _authorize(_session(provider.lms), provider.url, {}, generate_token(48))
    assert again.headers["Location"].startswith("/accounts/login/")


def test_client_secrets_are_hashed_fast_and_an_older_pbkdf2_hash_still_signs_in_once_rehashed(
    provider, settings
):
    from django.contrib.auth.hashers import make_password
    from oauth2_provider.models import Application

    application = provider.lms.relying_party.application
    assert application.client_secret.startswith("client_secret_hmac_sha256$")
    assert provider.lms.client_secret not in application.client_secret

    # A secret stored before the client-secret hasher: PBKDF2 (what DOT's default gave).
    settings.PASSWORD_HASHERS = [
        *settings.PASSWORD_HASHERS,
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]
    old = make_password(provider.lms.client_secret, hasher="pbkdf2_sha256")
    Application.objects.filter(pk=application.pk).update(client_secret=old)

    _session, token = _code_flow(provider)  # the token request checks the secret
    assert _verified(provider, token["id_token"])["email"] == "ada@learners.test"
    application.refresh_from_db()
    assert application.client_secret.startswith("client_secret_hmac_sha256$")
    _session, token = _code_flow(provider)  # and the new hash works too
    assert "id_token" in token

    wrong = OAuth2Session(
        application.client_id,
        "not-the-secret",
        redirect_uri=REDIRECT,
        token_endpoint_auth_method="client_secret_basic",
    )
    answer = wrong.post(
        f"{provider.url}/oidc/token/",
        data={"grant_type": "refresh_token", "refresh_token": token["refresh_token"]},
        auth=(application.client_id, "not-the-secret"),
        withhold_token=True,
    )
    assert answer.status_code == 401
    assert answer.json()["error"] == "invalid_client"

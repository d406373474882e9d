"""Social sign-in per tenant. Google, LinkedIn etc. are out of reach, so the provider is faked at
the HTTP boundary (requests' transport) and allauth's own views and flows do the rest."""

from __future__ import annotations

import json
import time
from urllib.parse import parse_qs, urlparse

import jwt
import pytest
import requests
from allauth.account.models import EmailAddress
from allauth.core import context
from allauth.socialaccount.adapter import get_adapter
from allauth.socialaccount.helpers import complete_social_login
from allauth.socialaccount.models import SocialAccount
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.db import SessionStore

from identity.models import User
from learners.models import LearnerRecord
from tenants.models import SocialProvider

ISSUER = "https://www.linkedin.com/oauth"
DISCOVERY = f"{ISSUER}/.well-known/openid-configuration"
TOKEN_URL = f"{ISSUER}/v2/accessToken"
USERINFO_URL = "https://api.linkedin.com/v2/userinfo"


class FakeLinkedIn:
    """Answers the three calls allauth makes to an OpenID Connect provider; anything else fails."""

    def __init__(self, *, email: str, verified: bool, name: str = "Ada Lovelace") -> None:
        self.claims = {"sub": "li-42", "email": email, "email_verified": verified, "name": name}
        self.calls: list[tuple[str, str, str]] = []

    def send(self, request: requests.PreparedRequest, **kwargs) -> requests.Response:
        body = request.body.decode() if isinstance(request.body, bytes) else str(request.body or "")
        self.calls.append((request.method or "", request.url or "", body))
        if request.url == DISCOVERY:
            payload: dict[str, object] = {
                "issuer": ISSUER,
                "authorization_endpoint": f"{ISSUER}/v2/authorization",
                "token_endpoint": TOKEN_URL,
                "userinfo_endpoint": USERINFO_URL,
                "jwks_uri": f"{ISSUER}/openid/jwks",
                "token_endpoint_auth_methods_supported": ["client_secret_post"],
            }
        elif request.url == TOKEN_URL and request.method == "POST":
            now = int(time.time())
            id_token = jwt.encode(
                {"iss": ISSUER, "aud": "li-client", "iat": now, "exp": now + 300, **self.claims},
                "not-checked-when-fetched-directly-over-tls",
                algorithm="HS256",
            )
            payload = {"access_token": "at-123", "expires_in": 3600, "id_token": id_token}
        elif request.url == USERINFO_URL:
            payload = self.claims
        else:
            raise AssertionError(f"unexpected call to {request.method} {request.url}")
        response = requests.Response()
        response.status_code = 200
        response._content = json.dumps(payload).encode()
        response.headers["Content-Type"] = "application/json"
        response.url = request.url or ""
        response.request = request
        return response


@pytest.fixture
def linkedin_on_alpha(world):
    return SocialProvider.objects.create(
        tenant=world.a, kind="linkedin", client_id="li-client", secret="li-secret"
    )


def fake(monkeypatch, **claims) -> FakeLinkedIn:
    provider = FakeLinkedIn(**claims)
    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", provider.send)
    return provider


def sign_in_with_linkedin(client):
    start = client.post("/accounts/oidc/linkedin/login/")
    assert start.status_code == 302, start.content.decode()
    authorize = urlparse(start["Location"])
    assert f"{authorize.scheme}://{authorize.netloc}{authorize.path}" == f"{ISSUER}/v2/authorization"
    query = parse_qs(authorize.query)
    assert query["client_id"] == ["li-client"]
    return client.get(
        "/accounts/oidc/linkedin/login/callback/", {"code": "auth-code", "state": query["state"][0]}
    )


def test_a_verified_linkedin_address_joins_the_existing_account(world, linkedin_on_alpha, monkeypatch):
    provider = fake(monkeypatch, email=world.learner.email, verified=True)
    client = world.client_for(None, world.a)
    before = User.objects.count()

    response = sign_in_with_linkedin(client)

    assert response.status_code == 302
    assert client.get("/me/").status_code == 200
    account = SocialAccount.objects.get()
    assert (account.provider, account.uid, account.user) == ("linkedin", "li-42", world.learner)
    assert User.objects.count() == before
    token_call = next(call for call in provider.calls if call[1] == TOKEN_URL)
    assert "client_secret=li-secret" in token_call[2]
    # The next sign-in finds the connected account directly.
    client.post("/accounts/logout/")
    sign_in_with_linkedin(client)
    assert SocialAccount.objects.count() == 1


def test_a_new_verified_linkedin_address_makes_a_new_account(world, linkedin_on_alpha, monkeypatch):
    fake(monkeypatch, email="newcomer@example.test", verified=True, name="New Comer")
    client = world.client_for(None, world.a)

    response = sign_in_with_linkedin(client)

    assert response.status_code == 302
    user = User.objects.get(email="newcomer@example.test")
    assert user.full_name == "New Comer"
    assert EmailAddress.objects.get(user=user).verified is True
    assert LearnerRecord.objects.get(user=user, tenant=world.a).origin == "sign_up"


def test_no_verified_address_is_refused_with_a_clear_message(world, linkedin_on_alpha, monkeypatch):
    fake(monkeypatch, email=world.learner.email, verified=False)
    client = world.client_for(None, world.a)
    before = User.objects.count()

    response = sign_in_with_linkedin(client)

    assert response.status_code == 400
    assert (
        "LinkedIn did not give us a verified e-mail address, so we cannot sign you in with it. "
        "Sign in with a code sent to your e-mail instead."
    ) in response.content.decode()
    assert not SocialAccount.objects.exists()
    assert User.objects.count() == before
    assert client.get("/me/").status_code == 302


def test_a_provider_shows_only_on_the_tenant_that_configured_it(world, linkedin_on_alpha):
    SocialProvider.objects.create(
        tenant=world.a, kind="apple", client_id="edu.alpha", secret="KEY1", is_enabled=False
    )

    alpha = world.client_for(None, world.a).get("/accounts/login/").content.decode()
    beta = world.client_for(None, world.b).get("/accounts/login/").content.decode()

    assert "Continue with LinkedIn" in alpha
    assert "Continue with Apple" not in alpha  # configured but switched off
    assert "Continue with" not in beta
    assert world.client_for(None, world.b).post("/accounts/oidc/linkedin/login/").status_code == 404


def social_request(world, tenant):
    request = world.client_for(None, tenant).get("/").wsgi_request
    request.session = SessionStore()
    request.user = AnonymousUser()
    request._messages = FallbackStorage(request)
    return request


def test_google_joins_the_account_with_the_same_verified_address(world):
    SocialProvider.objects.create(tenant=world.a, kind="google", client_id="g-client", secret="g-secret")
    request = social_request(world, world.a)

    with context.request_context(request):
        provider = get_adapter(request).get_provider(request, "google")
        login = provider.sociallogin_from_response(
            request, {"sub": "g-1", "email": world.learner.email.upper(), "email_verified": True, "name": "G"}
        )
        response = complete_social_login(request, login)

    assert response.status_code == 302
    assert SocialAccount.objects.get(provider="google").user == world.learner
    assert request.user == world.learner


@pytest.mark.parametrize(("email", "joins"), [("staff@alpha.edu", True), ("someone@hotmail.example", False)])
def test_microsoft_addresses_count_as_verified_only_in_the_tenants_own_domains(world, email, joins):
    SocialProvider.objects.create(
        tenant=world.a, kind="microsoft", client_id="m", secret="s", verified_email_domains="alpha.edu"
    )
    person = User.objects.create_user(email=email)
    EmailAddress.objects.create(user=person, email=email, verified=True, primary=True)
    request = social_request(world, world.a)

    with context.request_context(request):
        provider = get_adapter(request).get_provider(request, "microsoft")
        login = provider.sociallogin_from_response(request, {"id": "ms-1", "mail": email, "displayName": "M"})
        response = complete_social_login(request, login)

    assert SocialAccount.objects.filter(user=person).exists() is joins
    assert response.status_code == (302 if joins else 400)

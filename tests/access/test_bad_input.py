"""The provider's endpoints answer nonsense with OAuth errors or the refusal page, never a 5xx
(the URL sweep skips sign-out, which would end its session; discovery is a regex route)."""

from __future__ import annotations

import base64
import json

import pytest

pytestmark = pytest.mark.django_db


def _b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


HINTS = [
    "x",
    "a.b.c",
    "a\x00b",
    "x" * 5000,
    f"{_b64({'alg': 'RS256', 'kid': 'nope'})}.{_b64({'aud': 'nobody'})}.c2ln",
    f"{_b64({'alg': 'RS256'})}.{_b64({'aud': ['a', 1]})}.c2ln",
    f"{_b64({'alg': 'RS256'})}.{base64.urlsafe_b64encode(b'[1,2]').decode()}.c2ln",
]


@pytest.mark.parametrize("hint", HINTS)
def test_sign_out_with_a_broken_id_token_hint(world, hint):
    client = world.client_for(world.learner, world.a)
    client.raise_request_exception = False

    for answer in (
        client.get("/oidc/logout/", {"id_token_hint": hint, "post_logout_redirect_uri": "https://x.test/"}),
        client.post("/oidc/logout/", {"id_token_hint": hint, "allow": "Logout", "client_id": hint}),
    ):
        assert answer.status_code < 500


def test_discovery_and_keys_answer_on_every_tenant_host(world):
    for tenant in (world.a, world.b):
        client = world.client_for(None, tenant)
        host = tenant.domains.get(is_primary=True).host
        config = client.get("/.well-known/openid-configuration").json()
        assert config["issuer"] == f"http://{host}"
        assert client.get("/oidc/jwks/").json()["keys"][0]["alg"] == "RS256"


def test_token_and_userinfo_refuse_nonsense(world):
    client = world.client_for(None, world.a)
    client.raise_request_exception = False

    assert client.post("/oidc/token/", {"grant_type": "authorization_code", "code": "x"}).status_code in (
        400,
        401,
    )
    assert client.post(
        "/oidc/token/", {"grant_type": "refresh_token", "refresh_token": "x" * 5000}
    ).status_code in (
        400,
        401,
    )
    assert client.get("/oidc/userinfo/", HTTP_AUTHORIZATION="Bearer nonsense").status_code == 401
    assert client.get("/oidc/userinfo/").status_code == 401

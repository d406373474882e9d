"""Moodle's "log in with OAuth 2" (auth_oauth2 with a custom OpenID Connect issuer), as far as a
learner's browser goes through it: the double is the relying party of a Microcred tenant.

- `/login/index.php` lists the issuer ("Log in using your account on: Alpha University"), a link
  to `/auth/oauth2/login.php?id=1&wantsurl=…`, which starts the authorization code flow with PKCE
  (S256), a `state` and a `nonce` kept in the browser's `MoodleSession`, and redirects to the
  issuer's authorization endpoint (from its discovery document).
- `/admin/oauth2callback.php?code=…&state=…` (Moodle's callback address: the redirect URI to
  register) checks the state (and `iss`, RFC 9207, when sent), exchanges the code at the token
  endpoint (client_secret_basic, the code verifier), verifies the ID token's RS256 signature
  against the issuer's JWKS and its `iss`, `aud`, `exp` and `nonce`, finds the Moodle user (by
  idnumber = `sub`, as provisioning made them, else by e-mail, as Moodle links accounts), signs
  them in and sends the browser back to `wantsurl`.

authlib's OAuth 2 client does the flow; joserfc (authlib's JOSE library) verifies the token.
Both are development dependencies: they are imported only when a sign-in runs.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

CALLBACK = "/admin/oauth2callback.php"
START = "/auth/oauth2/login.php"
COOKIE = "MoodleSession"
PENDING_SECONDS = 600


class SignInFailed(Exception):
    """What the learner is told on the double's error page."""


@dataclass
class Issuer:
    """The OAuth 2 service configured in the double (Site administration → OAuth 2 services)."""

    issuer: str  # the tenant's site address, as its discovery document says
    client_id: str
    client_secret: str
    name: str = "your institution"
    scope: str = "openid email profile"
    _config: dict[str, Any] = field(default_factory=dict, repr=False)

    def config(self) -> dict[str, Any]:
        if not self._config:
            answer = _http().get(f"{self.issuer.rstrip('/')}/.well-known/openid-configuration", timeout=10)
            answer.raise_for_status()
            self._config.update(answer.json())
        return self._config


@dataclass
class Pending:
    state: str
    nonce: str
    verifier: str
    wants: str
    at: float = field(default_factory=time.monotonic)


@dataclass
class Session:
    user_id: int | None = None
    pending: dict[str, Pending] = field(default_factory=dict)


class Sessions:
    """The double's browser sessions (MoodleSession cookie → session), in memory."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.by_key: dict[str, Session] = {}

    def get(self, key: str) -> Session | None:
        with self.lock:
            return self.by_key.get(key) if key else None

    def new(self) -> tuple[str, Session]:
        key = secrets.token_urlsafe(24)
        with self.lock:
            session = self.by_key[key] = Session()
        return key, session

    def clear(self) -> None:
        with self.lock:
            self.by_key.clear()


def _http() -> Any:
    import requests

    session = requests.Session()
    session.trust_env = False  # the issuer is where we were told, never through a proxy
    return session


def safe_wants(wants: str) -> str:
    """Only an address on this site (a path), else the front page."""
    return wants if wants.startswith("/") and not wants.startswith("//") else "/"


def _client(issuer: Issuer, site: str, **extra: Any) -> Any:
    from authlib.integrations.requests_client import OAuth2Session

    client = OAuth2Session(
        issuer.client_id,
        issuer.client_secret,
        scope=issuer.scope,
        redirect_uri=f"{site}{CALLBACK}",
        code_challenge_method="S256",
        token_endpoint_auth_method="client_secret_basic",  # noqa: S106 - a method's name
        **extra,
    )
    client.trust_env = False
    return client


def start(issuer: Issuer, *, site: str, session: Session, wants: str) -> str:
    """Where to send the browser: the issuer's authorization endpoint, with a fresh state, nonce
    and PKCE challenge kept in the session."""
    from authlib.common.security import generate_token

    verifier, nonce = generate_token(48), generate_token(20)
    uri, state = _client(issuer, site).create_authorization_url(
        issuer.config()["authorization_endpoint"], code_verifier=verifier, nonce=nonce
    )
    now = time.monotonic()
    session.pending = {k: p for k, p in session.pending.items() if now - p.at < PENDING_SECONDS}
    session.pending[state] = Pending(state=state, nonce=nonce, verifier=verifier, wants=safe_wants(wants))
    return str(uri)


def finish(issuer: Issuer, *, site: str, session: Session, callback: str) -> tuple[dict[str, Any], str]:
    """The verified ID token's claims and where the learner wanted to go, from the callback
    address the issuer sent the browser to; SignInFailed with the reason otherwise."""
    from authlib.common.errors import AuthlibBaseError
    from joserfc import jwt
    from joserfc.errors import JoseError
    from joserfc.jwk import KeySet
    from requests import RequestException

    query = parse_qs(urlsplit(callback).query)
    if "error" in query:
        raise SignInFailed(f"The sign-in was refused: {query['error'][0]}.")
    state = (query.get("state") or [""])[0]
    pending = session.pending.pop(state, None)
    if pending is None or time.monotonic() - pending.at >= PENDING_SECONDS:
        raise SignInFailed("This sign-in is not one this site started (or it is too old). Start again.")
    if "iss" in query and query["iss"][0] != issuer.issuer:
        raise SignInFailed("The answer came from another issuer than the one asked.")
    config = issuer.config()
    try:
        token = _client(issuer, site, state=state).fetch_token(
            config["token_endpoint"], authorization_response=callback, code_verifier=pending.verifier
        )
    except AuthlibBaseError as error:
        raise SignInFailed(f"The issuer refused the code: {error.error}.") from None
    except RequestException as error:
        raise SignInFailed(f"The issuer could not be reached: {type(error).__name__}.") from None
    if "id_token" not in token:
        raise SignInFailed("The issuer's answer has no ID token.")
    keys = _http().get(config["jwks_uri"], timeout=10).json()
    try:
        decoded = jwt.decode(token["id_token"], KeySet.import_key_set(keys), algorithms=["RS256"])
        jwt.JWTClaimsRegistry(
            iss={"essential": True, "value": issuer.issuer},
            aud={"essential": True, "value": issuer.client_id},
            exp={"essential": True},
            sub={"essential": True},
            nonce={"essential": True, "value": pending.nonce},
        ).validate(decoded.claims)
    except (JoseError, ValueError) as error:
        raise SignInFailed(f"The ID token does not verify ({type(error).__name__}).") from None
    return dict(decoded.claims), pending.wants

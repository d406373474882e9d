"""The Moodle double's "log in with OAuth 2" against the tenant's OpenID provider (the live
server), driven by plain HTTP as a browser would: the code flow with PKCE ends signed in at the
course page; a callback the double did not start, and a wrong client secret, end on its error
page, signed in as nobody."""

from __future__ import annotations

from typing import cast
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.conf import settings
from django.test import Client

from access.lms.base import LmsUser
from access.lms.moodle import MoodleClient
from access.models import ClaimGroup
from access.services.claims import subject_for
from access.services.relying_parties import relying_party_create
from lms_local.oidc import CALLBACK
from tenants.models import Tenant, Unit
from tests.access.conftest import TOKEN, Provider

pytestmark = pytest.mark.django_db(transaction=True)


def _browser(provider: Provider) -> requests.Session:
    """A browser signed in to Microcred (the tenant's host, localhost)."""
    client = Client(HTTP_HOST="localhost")
    client.force_login(provider.learner)
    browser = requests.Session()
    browser.trust_env = False
    # Any host (the cookie jar will not scope a cookie to "localhost"): the double has its own.
    browser.cookies.set(settings.SESSION_COOKIE_NAME, client.cookies[settings.SESSION_COOKIE_NAME].value)
    return browser


def _set_up(provider: Provider, moodle, *, secret: str | None = None) -> str:
    """The double as the unit's first-party relying party; the course page of Ada's course."""
    tenant, unit = cast(Tenant, provider.tenant), cast(Unit, provider.unit)
    registered = relying_party_create(
        tenant=tenant,
        name="Nursing Moodle (double)",
        unit=unit,
        redirect_uris=moodle.url + CALLBACK,
        claims=[ClaimGroup.EMAIL, ClaimGroup.PROFILE],
        first_party=True,
    )
    moodle.control.set_oidc(
        issuer=provider.url,
        client_id=registered.relying_party.application.client_id,
        client_secret=secret or registered.client_secret,
        name="Alpha University",
    )
    course = moodle.control.add_course(name="Wound care", shortname="NURS-101")
    client = MoodleClient(base_url=moodle.url, token=TOKEN, timeout=5.0)
    ada = provider.learner
    user_id = client.user_ensure(
        LmsUser(
            email=ada.email,
            first_name="Ada King",
            last_name="Lovelace",
            subject=subject_for(tenant=tenant, learner=ada),
        )
    )
    client.enrol(remote_user_id=user_id, course_ref="NURS-101")
    return f"{moodle.url}/course/view.php?id={course['id']}"


def _follow(browser: requests.Session, url: str, hops: int = 8) -> requests.Response:
    for _ in range(hops):
        answer = browser.get(url, allow_redirects=False, timeout=15)
        if answer.status_code != 302:
            return answer
        url = answer.headers["Location"]
        if url.startswith("/"):
            parts = urlsplit(answer.url)
            url = f"{parts.scheme}://{parts.netloc}{url}"
    raise AssertionError("too many redirects")


def _start(browser: requests.Session, moodle, course_url: str) -> requests.Response:
    """From the course page to the double's login page and its "Alpha University" link."""
    login = _follow(browser, course_url)
    assert "Log in using your account on:" in login.text
    wants = parse_qs(urlsplit(login.url).query)["next"][0]
    return browser.get(
        f"{moodle.url}/auth/oauth2/login.php",
        params={"id": "1", "wantsurl": wants},
        allow_redirects=False,
        timeout=15,
    )


def test_a_learner_signs_in_at_the_double_through_the_provider_and_sees_the_course(provider, moodle):
    course_url = _set_up(provider, moodle)
    browser = _browser(provider)
    started = _start(browser, moodle, course_url)
    authorize = urlsplit(started.headers["Location"])
    query = parse_qs(authorize.query)
    assert f"{authorize.scheme}://{authorize.netloc}{authorize.path}" == f"{provider.url}/oidc/authorize/"
    assert query["code_challenge_method"] == ["S256"]
    assert query["redirect_uri"] == [moodle.url + CALLBACK]
    assert {"state", "nonce", "code_challenge"} <= set(query)

    page = _follow(browser, started.headers["Location"])
    assert page.status_code == 200
    assert page.url == course_url
    assert "Signed in as Ada King Lovelace (ada@learners.test)" in page.text
    assert "<h1>Wound care</h1>" in page.text
    # Signed in at the double now: the course page answers at once.
    assert browser.get(course_url, allow_redirects=False, timeout=15).status_code == 200


def test_a_callback_the_double_did_not_start_signs_nobody_in(provider, moodle):
    course_url = _set_up(provider, moodle)
    browser = _browser(provider)
    started = _start(browser, moodle, course_url)
    back = browser.get(started.headers["Location"], allow_redirects=False, timeout=15)
    callback = urlsplit(back.headers["Location"])
    code = parse_qs(callback.query)["code"][0]
    forged = browser.get(
        f"{moodle.url}{CALLBACK}",
        params={"code": code, "state": "not-ours"},
        allow_redirects=False,
        timeout=15,
    )
    assert forged.status_code == 403
    assert "not one this site started" in forged.text
    assert _follow(browser, course_url).url.startswith(f"{moodle.url}/login/index.php")


def test_a_wrong_client_secret_is_refused_at_the_token_endpoint(provider, moodle):
    course_url = _set_up(provider, moodle, secret="not-the-secret")
    browser = _browser(provider)
    started = _start(browser, moodle, course_url)
    page = _follow(browser, started.headers["Location"])
    assert page.status_code == 403
    assert "The issuer refused the code: invalid_client." in page.text
    assert _follow(browser, course_url).url.startswith(f"{moodle.url}/login/index.php")

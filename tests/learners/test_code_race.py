"""Wrong sign-in codes sent all at once, to a live server over real concurrent connections: the
pending code is checked at most ACCOUNT_LOGIN_BY_CODE_MAX_ATTEMPTS times, then the right one fails."""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from django.core.servers.basehttp import ThreadedWSGIServer

from learners.services import signin
from tests.learners.helpers import code_in, last_mail_to

CONCURRENT = 30
# The live server's listen backlog (socketserver's default is 5) must take them all at once.
ThreadedWSGIServer.request_queue_size = 2 * CONCURRENT


def _csrf(session: requests.Session, url: str, host: str) -> str:
    page = session.get(url, headers={"Host": host}, timeout=10).text
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert match is not None
    return match.group(1)


@pytest.mark.django_db(transaction=True)
def test_thirty_wrong_codes_at_once_are_checked_at_most_three_times(world, live_server, monkeypatch):
    checked = []
    lock = threading.Lock()
    real_compare = signin.compare_user_code  # type: ignore[attr-defined]

    def counting_compare(*, actual: str, expected: str) -> bool:
        with lock:
            checked.append(actual)
        return bool(real_compare(actual=actual, expected=expected))

    monkeypatch.setattr(signin, "compare_user_code", counting_compare)
    host = "alpha.test"
    browser = requests.Session()
    token = _csrf(browser, f"{live_server.url}/accounts/login/", host)
    browser.post(
        f"{live_server.url}/accounts/login/",
        data={"login": world.learner.email, "csrfmiddlewaretoken": token},
        headers={"Host": host},
        allow_redirects=False,
        timeout=10,
    )
    code = code_in(last_mail_to(world.learner.email))
    token = _csrf(browser, f"{live_server.url}/accounts/login/code/confirm/", host)
    cookies = {name: value or "" for name, value in browser.cookies.get_dict().items()}
    barrier = threading.Barrier(CONCURRENT)

    def wrong_code(_: int) -> int:
        barrier.wait()
        response = requests.post(
            f"{live_server.url}/accounts/login/code/confirm/",
            data={"code": "WXYZ-WXYZ", "csrfmiddlewaretoken": token},
            headers={"Host": host},
            cookies=cookies,
            allow_redirects=False,
            timeout=30,
        )
        return response.status_code

    with ThreadPoolExecutor(CONCURRENT) as pool:
        statuses = list(pool.map(wrong_code, range(CONCURRENT)))

    assert len(checked) <= 3, f"{len(checked)} checks for {CONCURRENT} wrong codes sent at once"
    assert statuses.count(400) <= 2
    right = requests.post(
        f"{live_server.url}/accounts/login/code/confirm/",
        data={"code": code, "csrfmiddlewaretoken": token},
        headers={"Host": host},
        cookies=cookies,
        allow_redirects=False,
        timeout=10,
    )
    assert (
        requests.get(
            f"{live_server.url}/me/",
            headers={"Host": host},
            cookies={**cookies, **{k: v or "" for k, v in right.cookies.get_dict().items()}},
            allow_redirects=False,
            timeout=10,
        ).status_code
        == 302
    )

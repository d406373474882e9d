"""Browser journeys: Debian's chromium, driven by Playwright's sync API, against pytest-django's
live_server. One browser for the whole session; a fresh context (cookies, storage) per test.

The live server listens on http://localhost:<port>, so a journey's tenant must answer on the
host "localhost" (TenantFactory.create(hosts=["localhost"])).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import Browser, BrowserContext, Page, ViewportSize, sync_playwright
from pytest_django.live_server_helper import LiveServer

if TYPE_CHECKING:
    from identity.models import User

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
SKIP_REASON = (
    f"chromium not installed: browser journeys skipped ({CHROMIUM} is missing; "
    "install Debian's chromium package, e.g. `apt-get install chromium`, to run tests/browser)"
)
HERE = Path(__file__).resolve().parent
DESKTOP: ViewportSize = {"width": 1280, "height": 800}

_collected = pytest.StashKey[int]()
_screenshots = pytest.StashKey[list[Path]]()
_reports = pytest.StashKey[dict[str, pytest.TestReport]]()


def _is_browser_test(item: pytest.Item) -> bool:
    return HERE in item.path.parents


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Run the browser tests last (after pytest-django's own reordering), and skip them loudly
    when there is no chromium.

    Last, because Playwright's event loop stays "running" in the main thread from the first
    browser test until the session ends (see `browser`): no other test should run under it.
    """
    browser_items = [item for item in items if _is_browser_test(item)]
    items[:] = [item for item in items if not _is_browser_test(item)] + browser_items
    config.stash[_collected] = len(browser_items)
    if not CHROMIUM.exists():
        for item in browser_items:
            item.add_marker(pytest.mark.skip(reason=SKIP_REASON))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    if config.stash.get(_collected, 0) and not CHROMIUM.exists():
        terminalreporter.section("BROWSER JOURNEYS SKIPPED", sep="!", red=True, bold=True)
        terminalreporter.write_line(f"!!! {SKIP_REASON}", red=True, bold=True)
    shots = config.stash.get(_screenshots, [])
    if shots:
        terminalreporter.section("browser screenshots of failed tests", sep="-", yellow=True)
        for shot in shots:
            terminalreporter.write_line(str(shot))


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    # Keep each phase's report on the item so the page fixture knows, at teardown, whether the
    # test body failed.
    report = yield
    item.stash.setdefault(_reports, {})[report.when] = report
    return report


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.skip(SKIP_REASON)
    # Playwright's sync API runs an asyncio event loop in a greenlet of the main thread. Once
    # started, that loop stays registered as the thread's *running* loop, also while the test's
    # own code runs, so every ORM call in the test thread (factories, assertions, the
    # transactional_db flush) sees "a running event loop" and Django raises
    # SynchronousOnlyOperation. Nothing here is actually async: Playwright only runs its loop
    # while one of its calls is in progress, and the live server answers from its own thread.
    # So Django's guard is a false alarm, and we switch it off exactly for the lifetime of
    # Playwright, restoring the old value afterwards. The browser tests run last (see
    # pytest_collection_modifyitems), so no other test runs under this setting or this loop.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
            )
            yield chromium
            chromium.close()
    finally:
        if previous is None:
            del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def browser_context(browser: Browser, live_server: LiveServer) -> Iterator[BrowserContext]:
    """A fresh browser profile whose relative URLs go to the live server."""
    context = browser.new_context(base_url=live_server.url, viewport=DESKTOP, locale="en")
    yield context
    context.close()


@pytest.fixture
def page(browser_context: BrowserContext, request: pytest.FixtureRequest) -> Iterator[Page]:
    page = browser_context.new_page()
    yield page
    report = request.node.stash.get(_reports, {}).get("call")
    if report is not None and report.failed:
        artifacts = request.config.rootpath / "test-artifacts"
        artifacts.mkdir(exist_ok=True)
        path = artifacts / (re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid) + ".png")
        page.screenshot(path=path, full_page=True)
        request.config.stash.setdefault(_screenshots, []).append(path)


@pytest.fixture
def sign_in(browser_context: BrowserContext, live_server: LiveServer) -> Callable[[User], None]:
    """Sign a person in without going through the form (the journey tests the form itself)."""

    def sign_in(user: User) -> None:
        client = Client()
        client.force_login(user)
        session = client.cookies[settings.SESSION_COOKIE_NAME].value
        browser_context.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
        )

    return sign_in

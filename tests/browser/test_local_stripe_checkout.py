"""The local Stripe server's hosted checkout page in a real browser: a person pays with the
keyboard, after a decline, and the page passes axe's WCAG A/AA rules and reflows at 360 px."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

import stripe_local
from stripe_local.server import LocalStripe
from tests.browser.a11y import assert_accessible, assert_no_horizontal_scroll
from tests.stripe_local.support import create_session


@pytest.fixture
def server() -> Iterator[LocalStripe]:
    with stripe_local.running(tick_interval=None) as running:
        yield running


@pytest.fixture
def checkout_page(browser: Browser) -> Iterator[Page]:
    # The page forbids scripts (CSP); axe is injected as one, so this profile bypasses CSP.
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en", bypass_csp=True)
    yield context.new_page()
    context.close()


@pytest.mark.browser
def test_a_person_pays_on_the_local_checkout_page(server: LocalStripe, checkout_page: Page):
    client = server.client()
    session = create_session(
        client,
        4900,
        success_url=f"{server.url}/healthz?session={{CHECKOUT_SESSION_ID}}",
        payment_method_types=["card", "sepa_debit"],
    )
    page = checkout_page
    assert session.url is not None
    page.goto(session.url)
    expect(page.get_by_role("heading", level=1)).to_have_text("Pay 49.00 USD")
    assert_accessible(page, "the local checkout page")
    assert_no_horizontal_scroll(page, "the local checkout page")

    page.get_by_role("form", name="Pay by card").get_by_label("Email").fill("learner@example.com")
    page.get_by_label("Card number").fill("4000 0000 0000 0002")
    page.get_by_label("Expiry date").fill("12 / 34")
    page.get_by_label("Security code").fill("123")
    page.get_by_label("Name on card").fill("Ada Learner")
    page.get_by_role("button", name="Pay 49.00 USD").click()
    expect(page.get_by_role("alert")).to_contain_text("Your card was declined.")
    expect(page.get_by_label("Card number")).to_be_focused()
    assert_accessible(page, "the local checkout page after a decline")

    page.get_by_label("Card number").fill("4242 4242 4242 4242")
    page.get_by_label("Card number").press("Enter")
    expect(page).to_have_url(re.compile(rf"/healthz\?session={session.id}$"))
    assert client.v1.checkout.sessions.retrieve(session.id).payment_status == "paid"

"""The local Stripe server's hosted invoice page in a real browser: an employer's contact opens
the invoice, pays it with the keyboard after a decline, and the page passes axe's WCAG A/AA
rules and reflows at 360 px."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

import stripe_local
from stripe_local.server import LocalStripe
from tests.browser.a11y import assert_accessible, assert_no_horizontal_scroll
from tests.stripe_local.support import invoice_with_items


@pytest.fixture
def server() -> Iterator[LocalStripe]:
    with stripe_local.running(tick_interval=None) as running:
        yield running


@pytest.fixture
def invoice_page(browser: Browser) -> Iterator[Page]:
    # The page forbids scripts (CSP); axe is injected as one, so this profile bypasses CSP.
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en", bypass_csp=True)
    yield context.new_page()
    context.close()


@pytest.mark.browser
def test_an_employer_pays_an_invoice_on_its_hosted_page(server: LocalStripe, invoice_page: Page):
    client = server.client()
    invoice = client.v1.invoices.finalize_invoice(invoice_with_items(client, [98_000, 2500]).id)
    assert invoice.hosted_invoice_url is not None
    page = invoice_page
    page.goto(invoice.hosted_invoice_url)
    expect(page.get_by_role("heading", level=1)).to_have_text("Pay 1,005.00 USD")
    expect(page.get_by_role("heading", name=f"Invoice {invoice.number}")).to_be_visible()
    expect(page.get_by_role("link", name="Download invoice (PDF)")).to_be_visible()
    assert_accessible(page, "the local invoice page")
    assert_no_horizontal_scroll(page, "the local invoice page")

    page.get_by_label("Card number").fill("4000 0000 0000 9995")
    page.get_by_label("Expiry date").fill("12 / 34")
    page.get_by_label("Security code").fill("123")
    page.get_by_label("Name on card").fill("Pat Payer")
    page.get_by_role("button", name="Pay 1,005.00 USD").click()
    expect(page.get_by_role("alert")).to_contain_text("Your card has insufficient funds.")
    expect(page.get_by_label("Card number")).to_be_focused()
    assert_accessible(page, "the local invoice page after a decline")

    page.get_by_label("Card number").fill("4242 4242 4242 4242")
    page.get_by_label("Card number").press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Invoice paid")
    expect(page.get_by_role("status")).to_contain_text("This invoice has been paid.")
    assert_accessible(page, "the local invoice page once paid")
    paid = client.v1.invoices.retrieve(invoice.id)
    assert (paid.status, paid.amount_paid, paid.amount_remaining) == ("paid", 100_500, 0)

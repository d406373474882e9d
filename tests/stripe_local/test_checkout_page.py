"""The hosted checkout page, spoken to as a browser would (plain HTTP, form posts)."""

from __future__ import annotations

import http.client
import re
from html.parser import HTMLParser
from urllib.parse import urlencode, urlsplit

import pytest

from tests.stripe_local.support import create_session


class Page:
    def __init__(self, status: int, body: str, location: str | None) -> None:
        self.status = status
        self.body = body
        self.location = location


def fetch(url: str | None, form: dict[str, str] | None = None) -> Page:
    assert url is not None
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.netloc, timeout=10)
    try:
        if form is None:
            connection.request("GET", parts.path)
        else:
            connection.request(
                "POST",
                parts.path,
                body=urlencode(form),
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            )
        answer = connection.getresponse()
        return Page(answer.status, answer.read().decode(), answer.getheader("Location"))
    finally:
        connection.close()


class Fields(HTMLParser):
    """Inputs, their labels and what describes them."""

    def __init__(self) -> None:
        super().__init__()
        self.inputs: dict[str, dict[str, str | None]] = {}
        self.labels: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "input" and attributes.get("type") != "hidden":
            self.inputs[attributes["id"] or ""] = attributes
        if tag == "label":
            self.labels.add(attributes.get("for") or "")


def fields(page: Page) -> Fields:
    parser = Fields()
    parser.feed(page.body)
    return parser


def card(number: str, **extra: str) -> dict[str, str]:
    return {
        "method": "card",
        "email": "learner@example.com",
        "number": number,
        "expiry": "12 / 34",
        "cvc": "123",
        "name": "Ada Learner",
        **extra,
    }


def test_the_page_shows_the_order_and_an_accessible_form(sdk):
    session = create_session(sdk, 4900)
    page = fetch(session.url)
    assert page.status == 200
    assert '<html lang="en">' in page.body
    assert 'name="viewport" content="width=device-width, initial-scale=1"' in page.body
    assert "<h1>Pay 49.00 USD</h1>" in page.body
    assert "Data Analytics Fundamentals" in page.body
    assert "Test mode." in page.body
    found = fields(page)
    assert set(found.inputs) == {"email", "number", "expiry", "cvc", "name"}
    assert found.labels >= set(found.inputs)
    assert {key: found.inputs[key]["autocomplete"] for key in found.inputs} == {
        "email": "email",
        "number": "cc-number",
        "expiry": "cc-exp",
        "cvc": "cc-csc",
        "name": "cc-name",
    }
    assert found.inputs["number"]["inputmode"] == "numeric"
    assert 'href="http://shop.test/cancelled"' in page.body
    assert "4242 4242 4242 4242" in page.body


def test_paying_with_4242_redirects_to_success_with_the_session_id(sdk):
    session = create_session(sdk, 4900)
    page = fetch(session.url, card("4242 4242 4242 4242"))
    assert page.status == 303
    assert page.location == f"http://shop.test/paid?session={session.id}"
    paid = sdk.v1.checkout.sessions.retrieve(session.id)
    assert (paid.status, paid.payment_status) == ("complete", "paid")
    assert paid.customer_details is not None
    assert (paid.customer_details.email, paid.customer_details.name) == ("learner@example.com", "Ada Learner")
    again = fetch(session.url)
    assert again.status == 200
    assert "Payment received" in again.body


@pytest.mark.parametrize(
    ("number", "message"),
    [
        ("4000 0000 0000 0002", "Your card was declined."),
        ("4000 0000 0000 9995", "Your card has insufficient funds."),
    ],
)
def test_a_declined_card_shows_why_and_keeps_what_was_typed(sdk, number, message):
    session = create_session(sdk)
    page = fetch(session.url, card(number))
    assert page.status == 402
    assert 'role="alert"' in page.body
    assert message in page.body
    number_field = fields(page).inputs["number"]
    assert number_field["aria-invalid"] == "true"
    assert number_field["aria-describedby"] == "number-hint number-error"
    assert fields(page).inputs["email"]["value"] == "learner@example.com"
    assert sdk.v1.checkout.sessions.retrieve(session.id).status == "open"
    assert fetch(session.url, card("4242424242424242")).status == 303


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        (card("4242 4242 4242 4241"), "number", "Your card number is incorrect."),
        (card("4242424242424242", expiry="13/30"), "expiry", "incomplete"),
        (card("4242424242424242", expiry="01/20"), "expiry", "in the past"),
        (card("4242424242424242", cvc="12"), "cvc", "security code"),
        (card("4242424242424242", email="nope"), "email", "email address"),
    ],
)
def test_unusable_details_are_refused_beside_their_field_before_any_charge(sdk, form, field, message):
    session = create_session(sdk)
    page = fetch(session.url, form)
    assert page.status == 400
    assert fields(page).inputs[field]["aria-invalid"] == "true"
    assert re.search(rf'id="{field}-error">[^<]*{re.escape(message)}', page.body)
    assert sdk.v1.charges.list().data == []


def test_an_expired_session_says_so(sdk):
    session = create_session(sdk)
    sdk.v1.checkout.sessions.expire(session.id)
    page = fetch(session.url)
    assert page.status == 410
    assert "expired" in page.body
    posted = fetch(session.url, card("4242424242424242"))
    assert posted.status == 410
    assert sdk.v1.charges.list().data == []


def test_an_unknown_session_is_a_404_page(server):
    assert fetch(f"{server.url}/c/pay/cs_test_nope").status == 404


def test_what_people_typed_is_escaped(sdk):
    session = sdk.v1.checkout.sessions.create(
        params={
            "mode": "payment",
            "success_url": "http://shop.test/ok",
            "line_items": [
                {
                    "price_data": {
                        "currency": "usd",
                        "unit_amount": 1000,
                        "product_data": {"name": "<script>alert(1)</script>"},
                    },
                    "quantity": 1,
                }
            ],
        }
    )
    page = fetch(session.url)
    assert "<script>" not in page.body
    assert "&lt;script&gt;" in page.body


def test_a_session_offering_bank_debit_has_a_second_form(sdk):
    session = create_session(sdk, payment_method_types=["card", "sepa_debit"])
    page = fetch(session.url)
    ids = re.findall(r'\bid="([^"]+)"', page.body)
    assert len(ids) == len(set(ids))
    assert {"email", "bank-email", "bank-iban"} <= set(ids)
    refused = fetch(session.url, {"method": "sepa_debit", "email": "a@example.com", "iban": "DE00 1234"})
    assert refused.status == 400
    assert fields(refused).inputs["bank-iban"]["aria-invalid"] == "true"
    assert fields(refused).inputs["number"].get("aria-invalid") is None
    answer = fetch(
        session.url or "",
        {
            "method": "sepa_debit",
            "email": "a@example.com",
            "iban": "DE89 3704 0044 0532 0130 00",
            "account_holder": "A",
        },
    )
    assert answer.status == 303
    assert sdk.v1.checkout.sessions.retrieve(session.id).payment_status == "unpaid"

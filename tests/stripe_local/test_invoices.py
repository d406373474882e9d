"""Invoicing through the real SDK: customers, invoice items, send_invoice invoices from draft to
paid (out of band, by API, on the hosted page), void, uncollectible and overdue, with their
signed webhooks; and the errors Stripe gives for the wrong transitions."""

from __future__ import annotations

import http.client
import re
import urllib.request
from typing import Any
from urllib.parse import urlsplit

import pytest
import stripe

import stripe_local
from tests.stripe_local.support import SECRET, invoice_with_items, item_of, raw
from tests.stripe_local.test_checkout_page import fetch

DAY = 86_400


def finalized(sdk: stripe.StripeClient, amounts: list[int], **extra: Any) -> stripe.Invoice:
    return sdk.v1.invoices.finalize_invoice(invoice_with_items(sdk, amounts, **extra).id)


def verified_types(receiver: Any) -> list[str]:
    """Every delivery's type, each verified with Stripe's own signature check."""
    return [stripe.Webhook.construct_event(d.body, d.signature, SECRET).type for d in receiver.received]


def error_of(call: Any) -> stripe.StripeError:
    with pytest.raises(stripe.StripeError) as caught:
        call()
    return caught.value


# From draft to open ------------------------------------------------------------------------------


def test_a_draft_finalizes_with_its_number_due_date_lines_and_hosted_links(sdk, control):
    customer = sdk.v1.customers.create(
        params={"email": "billing@acme.test", "name": "Acme Training", "metadata": {"employer": "12"}}
    )
    invoice = sdk.v1.invoices.create(
        params={
            "customer": customer.id,
            "collection_method": "send_invoice",
            "days_until_due": 30,
            "metadata": {"pool": "7"},
        }
    )
    seats = sdk.v1.invoice_items.create(
        params={
            "customer": customer.id,
            "invoice": invoice.id,
            "price_data": {"currency": "usd", "product": "prod_seats", "unit_amount": 4900},
            "quantity": 20,
            "description": "Data Analytics Fundamentals, 20 seats",
        }
    )
    sdk.v1.invoice_items.create(
        params={
            "customer": customer.id,
            "invoice": invoice.id,
            "amount": 2500,
            "currency": "usd",
            "description": "Administration",
        }
    )
    draft = sdk.v1.invoices.retrieve(invoice.id)
    assert (draft.status, draft.number, draft.hosted_invoice_url, draft.invoice_pdf) == (
        "draft",
        None,
        None,
        None,
    )
    assert (draft.amount_due, draft.total, draft.currency) == (100_500, 100_500, "usd")
    assert (seats.amount, seats.quantity, seats.invoice) == (98_000, 20, invoice.id)

    now = control.now()
    opened = sdk.v1.invoices.finalize_invoice(invoice.id)
    assert opened.status == "open"
    assert opened.number == f"{customer.invoice_prefix}-0001"
    assert opened.due_date == now + 30 * DAY
    assert opened.status_transitions.finalized_at == now
    assert (opened.amount_due, opened.amount_remaining, opened.amount_paid) == (100_500, 100_500, 0)
    assert opened.customer_email == "billing@acme.test"
    assert opened.metadata.to_dict() == {"pool": "7"}
    assert opened.hosted_invoice_url
    assert opened.hosted_invoice_url.startswith(f"{control.url}/i/")
    assert opened.invoice_pdf == f"{opened.hosted_invoice_url}/pdf"
    assert [(line.description, line.amount, line.quantity) for line in opened.lines.data] == [
        ("Data Analytics Fundamentals, 20 seats", 98_000, 20),
        ("Administration", 2500, 1),
    ]
    assert item_of(opened.lines.data[0]) == seats.id
    assert sdk.v1.customers.retrieve(customer.id).next_invoice_sequence == 2
    second = finalized(sdk, [1000])
    assert second.number
    assert second.number.endswith("-0001")


def test_an_invoice_can_take_the_customers_pending_items(sdk):
    customer = sdk.v1.customers.create(params={"email": "hr@globex.test"})
    for amount in (3000, 4000):
        sdk.v1.invoice_items.create(
            params={"customer": customer.id, "amount": amount, "currency": "eur", "description": "Seat"}
        )
    pending = sdk.v1.invoice_items.list(params={"customer": customer.id, "pending": True})
    assert [item.amount for item in pending.data] == [4000, 3000]
    excluded = sdk.v1.invoices.create(
        params={"customer": customer.id, "collection_method": "send_invoice", "days_until_due": 14}
    )
    assert (excluded.total, excluded.lines.data) == (0, [])
    included = sdk.v1.invoices.create(
        params={
            "customer": customer.id,
            "collection_method": "send_invoice",
            "days_until_due": 14,
            "pending_invoice_items_behavior": "include",
        }
    )
    assert (included.currency, included.total) == ("eur", 7000)
    assert sdk.v1.invoice_items.list(params={"customer": customer.id, "pending": True}).data == []
    on_invoice = sdk.v1.invoice_items.list(params={"invoice": included.id})
    assert sorted(item.amount for item in on_invoice.data) == [3000, 4000]


def test_a_draft_items_can_be_deleted_and_the_total_follows(sdk):
    invoice = invoice_with_items(sdk, [1000, 2000])
    first = item_of(invoice.lines.data[0])
    deleted = sdk.v1.invoice_items.delete(first)
    assert deleted.deleted is True
    after = sdk.v1.invoices.retrieve(invoice.id)
    assert (after.total, [line.amount for line in after.lines.data]) == (2000, [2000])
    assert error_of(lambda: sdk.v1.invoice_items.retrieve(first)).http_status == 404


def test_a_zero_invoice_is_paid_on_finalizing(sdk):
    invoice = finalized(sdk, [])
    assert (invoice.status, invoice.amount_due, invoice.amount_remaining) == ("paid", 0, 0)


def test_lists_filter_by_customer_and_status(sdk):
    paid = finalized(sdk, [1000])
    sdk.v1.invoices.pay(paid.id, params={"paid_out_of_band": True})
    still_open = finalized(sdk, [2000])
    draft = invoice_with_items(sdk, [3000])
    assert [i.id for i in sdk.v1.invoices.list(params={"status": "open"}).data] == [still_open.id]
    assert [i.id for i in sdk.v1.invoices.list(params={"status": "draft"}).data] == [draft.id]
    assert [i.id for i in sdk.v1.invoices.list(params={"customer": paid.customer}).data] == [paid.id]
    assert [i.id for i in sdk.v1.invoices.list().auto_paging_iter()] == [draft.id, still_open.id, paid.id]
    customers = sdk.v1.customers.list(params={"email": "billing@employer.test", "limit": 2})
    assert (len(customers.data), customers.has_more) == (2, True)


# Paying ------------------------------------------------------------------------------------------


def test_paid_out_of_band_sends_signed_webhooks_in_order_and_no_payment_succeeded(sdk, control, receiver):
    invoice = finalized(sdk, [4900, 4900])
    paid = sdk.v1.invoices.pay(invoice.id, params={"paid_out_of_band": True})
    assert (paid.status, paid.amount_paid, paid.amount_remaining) == ("paid", 9800, 0)
    assert paid.amount_paid_off_stripe == 9800
    assert paid.status_transitions.paid_at == control.now()
    assert control.wait_for_webhooks()
    assert verified_types(receiver) == [
        "customer.created",
        "invoice.created",
        "invoiceitem.created",
        "invoiceitem.created",
        "invoice.finalized",
        "invoice.paid",  # no invoice.payment_succeeded: no payment was made through Stripe
    ]
    (event,) = [e for e in receiver.events() if e["type"] == "invoice.paid"]
    assert (event["data"]["object"]["id"], event["data"]["object"]["status"]) == (invoice.id, "paid")
    assert sdk.v1.invoice_payments.list(params={"invoice": invoice.id}).data == []


def test_pay_with_a_test_payment_method_and_a_decline(sdk, control, receiver):
    invoice = finalized(sdk, [5000])
    declined = error_of(
        lambda: sdk.v1.invoices.pay(invoice.id, params={"payment_method": "pm_card_chargeDeclined"})
    )
    assert isinstance(declined, stripe.CardError)
    assert (declined.http_status, declined.code) == (402, "card_declined")
    after = sdk.v1.invoices.retrieve(invoice.id)
    assert (after.status, after.attempt_count, after.attempted) == ("open", 1, True)
    paid = sdk.v1.invoices.pay(invoice.id, params={"payment_method": "pm_card_visa"})
    assert (paid.status, paid.amount_paid, paid.attempt_count) == ("paid", 5000, 2)
    (payment,) = sdk.v1.invoice_payments.list(params={"invoice": invoice.id}).data
    assert (payment.status, payment.amount_paid, payment.payment.type) == ("paid", 5000, "payment_intent")
    intent = sdk.v1.payment_intents.retrieve(str(payment.payment.payment_intent))
    assert (intent.status, intent.amount) == ("succeeded", 5000)
    assert sdk.v1.charges.retrieve(str(intent.latest_charge)).amount == 5000
    assert control.wait_for_webhooks()
    types = verified_types(receiver)
    assert types.index("invoice.payment_failed") < types.index("invoice.paid")
    assert types.count("invoice.paid") == 1
    assert types.count("invoice.payment_succeeded") == 1
    assert "invoice_payment.paid" in types


def test_the_hosted_page_shows_the_invoice_and_takes_a_card(sdk, control, receiver):
    invoice = finalized(sdk, [4900, 100])
    page = fetch(invoice.hosted_invoice_url)
    assert page.status == 200
    assert invoice.number
    assert invoice.number in page.body
    assert "Pay 50.00 USD" in page.body
    assert "Seat 1" in page.body
    assert 'href="/i/' in page.body
    assert "/pdf" in page.body

    bad = fetch(
        invoice.hosted_invoice_url, {"number": "4242 4242 4242 4241", "expiry": "12/40", "cvc": "123"}
    )
    assert bad.status == 400
    assert "Your card number is incorrect." in bad.body
    declined = fetch(
        invoice.hosted_invoice_url, {"number": "4000 0000 0000 9995", "expiry": "12/40", "cvc": "123"}
    )
    assert declined.status == 402
    assert "Your card has insufficient funds." in declined.body
    assert sdk.v1.invoices.retrieve(invoice.id).status == "open"

    paid = fetch(
        invoice.hosted_invoice_url,
        {"number": "4242 4242 4242 4242", "expiry": "12/40", "cvc": "123", "name": "Pat Payer"},
    )
    assert paid.status == 303
    assert paid.location
    assert str(invoice.hosted_invoice_url).endswith(paid.location)
    after = fetch(invoice.hosted_invoice_url)
    assert after.status == 200
    assert "Invoice paid" in after.body
    assert "<form" not in after.body
    invoice = sdk.v1.invoices.retrieve(invoice.id)
    assert (invoice.status, invoice.amount_paid, invoice.amount_remaining) == ("paid", 5000, 0)
    again = fetch(
        invoice.hosted_invoice_url, {"number": "4242 4242 4242 4242", "expiry": "12/40", "cvc": "123"}
    )
    assert again.status == 200
    assert "Invoice paid" in again.body
    assert len(sdk.v1.invoice_payments.list(params={"invoice": invoice.id}).data) == 1
    assert control.wait_for_webhooks()
    assert verified_types(receiver).count("invoice.paid") == 1


def test_control_pays_an_invoice_as_the_page_would(sdk, control):
    invoice = finalized(sdk, [2000])
    declined = control.pay_invoice(invoice.id, "4000000000000002")
    assert (declined["paid"], declined["error"]["code"]) == (False, "card_declined")
    paid = control.pay_invoice(invoice.id)
    assert (paid["paid"], paid["invoice"]["status"], paid["charge"]["amount"]) == (True, "paid", 2000)


def test_a_draft_has_no_page_and_an_unknown_address_is_not_found(sdk, server):
    invoice = invoice_with_items(sdk, [1000])
    assert invoice.hosted_invoice_url is None
    assert fetch(f"{server.url}/i/{'x' * 32}").status == 404
    assert fetch(f"{server.url}/i/{'x' * 32}/pdf").status == 404


def test_the_pdf_is_a_real_pdf_with_the_invoices_facts(sdk, server):
    invoice = finalized(sdk, [4900], email="finance@initech.test")
    assert invoice.invoice_pdf
    with urllib.request.urlopen(invoice.invoice_pdf, timeout=10) as answer:
        assert answer.headers["Content-Type"] == "application/pdf"
        pdf = answer.read()
    assert pdf.startswith(b"%PDF-1.4\n")
    assert pdf.rstrip().endswith(b"%%EOF")
    text = pdf.decode("latin-1")
    startxref = int(re.findall(r"startxref\n(\d+)", text)[-1])
    assert pdf[startxref:].startswith(b"xref")
    offsets = [int(offset) for offset in re.findall(r"(\d{10}) 00000 n", text)]
    assert [pdf[offset:].split(b" ", 1)[0] for offset in offsets] == [b"1", b"2", b"3", b"4", b"5"]
    assert f"(Invoice {invoice.number}) Tj" in text
    assert "finance@initech.test" in text
    assert "49.00 USD" in text


# Sending, voiding, uncollectible, overdue --------------------------------------------------------


def test_send_says_it_was_sent_and_auto_advance_finalizes_and_sends_after_an_hour(sdk, control, receiver):
    invoice = finalized(sdk, [1000])
    sdk.v1.invoices.send_invoice(invoice.id)
    automatic = invoice_with_items(sdk, [2000], auto_advance=True)
    assert automatic.automatically_finalizes_at == automatic.created + 3600
    control.advance_clock(3599)
    assert sdk.v1.invoices.retrieve(automatic.id).status == "draft"
    control.advance_clock(1)
    assert sdk.v1.invoices.retrieve(automatic.id).status == "open"
    assert control.wait_for_webhooks()
    later = invoice_with_items(sdk, [3000])
    sdk.v1.invoices.update(later.id, params={"auto_advance": True})
    control.advance_clock(3600)
    assert sdk.v1.invoices.retrieve(later.id).status == "open"
    assert control.wait_for_webhooks()
    sent = [e["data"]["object"]["id"] for e in receiver.events() if e["type"] == "invoice.sent"]
    assert sent == [invoice.id, automatic.id, later.id]


def test_void_ends_an_open_invoice(sdk, control, receiver):
    invoice = finalized(sdk, [1000])
    control.pay_invoice(invoice.id, "4000000000000002")  # a declined attempt leaves an intent waiting
    voided = sdk.v1.invoices.void_invoice(invoice.id)
    assert (voided.status, voided.status_transitions.voided_at) == ("void", control.now())
    assert fetch(voided.hosted_invoice_url).body.count("This invoice is void") >= 1
    payments = sdk.v1.payment_intents.list().data
    assert [intent.status for intent in payments] == ["canceled"]
    again = error_of(lambda: sdk.v1.invoices.void_invoice(invoice.id))
    assert (again.http_status, again.user_message) == (
        400,
        "You can only void invoices that are open or uncollectible. This invoice is void.",
    )
    refused = error_of(lambda: sdk.v1.invoices.pay(invoice.id, params={"paid_out_of_band": True}))
    assert refused.http_status == 400
    assert control.wait_for_webhooks()
    assert verified_types(receiver).count("invoice.voided") == 1


def test_an_uncollectible_invoice_can_still_be_paid(sdk, control, receiver):
    invoice = finalized(sdk, [1000])
    marked = sdk.v1.invoices.mark_uncollectible(invoice.id)
    assert (marked.status, marked.status_transitions.marked_uncollectible_at) == (
        "uncollectible",
        control.now(),
    )
    assert sdk.v1.invoices.pay(invoice.id, params={"paid_out_of_band": True}).status == "paid"
    assert control.wait_for_webhooks()
    types = verified_types(receiver)
    assert types.index("invoice.marked_uncollectible") < types.index("invoice.paid")


def test_overdue_is_sent_once_when_the_due_date_passes_on_the_clock(sdk, control, receiver):
    late = finalized(sdk, [1000], days_until_due=1)
    paid = finalized(sdk, [1000], days_until_due=1)
    sdk.v1.invoices.pay(paid.id, params={"paid_out_of_band": True})
    control.advance_clock(DAY - 1)
    assert control.wait_for_webhooks()
    assert "invoice.overdue" not in verified_types(receiver)
    control.advance_clock(1)
    control.advance_clock(DAY)
    assert control.wait_for_webhooks()
    overdue = [e["data"]["object"] for e in receiver.events() if e["type"] == "invoice.overdue"]
    assert [(o["id"], o["status"], o["amount_remaining"]) for o in overdue] == [(late.id, "open", 1000)]
    assert len(sdk.v1.events.list(params={"type": "invoice.overdue"}).data) == 1


# Wrong transitions and bad input -----------------------------------------------------------------


def test_finalizing_twice_is_stripes_invoice_not_editable(server, sdk):
    invoice = finalized(sdk, [1000])
    status, body = raw(server, f"/v1/invoices/{invoice.id}/finalize", method="POST", form="")
    assert status == 400
    assert body["error"] == {
        "type": "invalid_request_error",
        "code": "invoice_not_editable",
        "doc_url": "https://docs.stripe.com/error-codes#invoice-not-editable",
        "message": "This invoice is already finalized, you can't re-finalize a non-draft invoice.",
    }
    sdk.v1.invoices.pay(invoice.id, params={"paid_out_of_band": True})
    paid_again = error_of(lambda: sdk.v1.invoices.pay(invoice.id, params={"paid_out_of_band": True}))
    assert (paid_again.http_status, paid_again.user_message) == (400, "Invoice is already paid")


def test_finalized_invoices_take_no_more_items_and_keep_theirs(sdk):
    invoice = finalized(sdk, [1000])
    added = error_of(
        lambda: sdk.v1.invoice_items.create(
            params={"customer": invoice.customer, "invoice": invoice.id, "amount": 500, "currency": "usd"}
        )
    )
    assert (added.http_status, added.code, added.error.param if added.error else None) == (
        400,
        "invoice_not_editable",
        "invoice",
    )
    item = item_of(invoice.lines.data[0])
    deleting = error_of(lambda: sdk.v1.invoice_items.delete(item))
    assert (deleting.http_status, deleting.code) == (400, "invoice_not_editable")
    changed = error_of(lambda: sdk.v1.invoices.update(invoice.id, params={"days_until_due": 60}))
    assert changed.user_message == "Finalized invoices can't be updated in this way."
    assert sdk.v1.invoices.update(invoice.id, params={"metadata": {"po": "PO-1"}}).metadata.to_dict() == {
        "po": "PO-1"
    }


@pytest.mark.parametrize(
    ("action", "status"),
    [("pay", "draft"), ("send_invoice", "draft"), ("void_invoice", "draft"), ("mark_uncollectible", "draft")],
)
def test_a_draft_cannot_be_paid_sent_voided_or_written_off(sdk, action, status):
    invoice = invoice_with_items(sdk, [1000])
    params = {"params": {"paid_out_of_band": True}} if action == "pay" else {}
    refused = error_of(lambda: getattr(sdk.v1.invoices, action)(invoice.id, **params))
    assert refused.http_status == 400
    assert isinstance(refused, stripe.InvalidRequestError)
    assert sdk.v1.invoices.retrieve(invoice.id).status == status


def test_bad_parameters_are_refused_as_stripe_refuses_them(sdk):
    customer = sdk.v1.customers.create(params={"email": "a@b.test"})
    cases: list[tuple[Any, tuple[int, str | None, str | None]]] = [
        (
            lambda: sdk.v1.invoices.create(
                params={"customer": "cus_missing", "collection_method": "send_invoice"}
            ),
            (404, "resource_missing", "customer"),
        ),
        (
            lambda: sdk.v1.invoices.create(
                params={"customer": customer.id, "collection_method": "send_invoice"}
            ),
            (400, "parameter_missing", "days_until_due"),
        ),
        (
            lambda: sdk.v1.invoices.create(
                params={"customer": customer.id, "collection_method": "send_invoice", "days_until_due": -1}
            ),
            (400, None, "days_until_due"),
        ),
        (lambda: sdk.v1.invoices.create(params={"customer": customer.id}), (400, None, "collection_method")),
        (
            lambda: sdk.v1.invoice_items.create(
                params={
                    "customer": customer.id,
                    "amount": 100,
                    "currency": "usd",
                    "price_data": {"currency": "usd", "product": "prod_1", "unit_amount": 100},
                }
            ),
            (400, "parameters_exclusive", "price_data"),
        ),
        (
            lambda: sdk.v1.invoice_items.create(params={"customer": customer.id, "currency": "usd"}),
            (400, "parameter_missing", "amount"),
        ),
        (
            lambda: sdk.v1.invoice_items.create(params={"customer": customer.id, "amount": 1}),
            (400, "parameter_missing", "currency"),
        ),
        (lambda: sdk.v1.customers.create(params={"email": "not-an-email"}), (400, "email_invalid", "email")),
        (lambda: sdk.v1.invoices.retrieve("in_missing"), (404, "resource_missing", "id")),
    ]
    for call, expected in cases:
        error = error_of(call)
        assert (error.http_status, error.code, error.error.param if error.error else None) == expected


def test_idempotent_creates_and_finalize_happen_once(sdk):
    customer = sdk.v1.customers.create(params={"email": "idem@acme.test"})
    params: Any = {"customer": customer.id, "collection_method": "send_invoice", "days_until_due": 7}
    first = sdk.v1.invoices.create(params=params, options={"idempotency_key": "pool-1:invoice"})
    second = sdk.v1.invoices.create(params=params, options={"idempotency_key": "pool-1:invoice"})
    assert first.id == second.id
    assert len(sdk.v1.invoices.list(params={"customer": customer.id}).data) == 1
    one = sdk.v1.invoices.finalize_invoice(first.id, options={"idempotency_key": "pool-1:finalize"})
    two = sdk.v1.invoices.finalize_invoice(first.id, options={"idempotency_key": "pool-1:finalize"})
    assert one.number == two.number
    assert one.status == two.status == "paid"


def test_invoices_and_their_schedule_survive_a_restart(tmp_path):
    state = tmp_path / "stripe.json"
    with stripe_local.running(frozen_clock=True, tick_interval=None, state_file=state) as first:
        sdk = first.client()
        invoice = finalized(sdk, [1000], days_until_due=1)
        first.changed()
    with stripe_local.running(frozen_clock=True, tick_interval=None, state_file=state) as second:
        sdk = second.client()
        kept = sdk.v1.invoices.retrieve(invoice.id)
        assert (kept.status, kept.number, kept.total) == ("open", invoice.number, 1000)
        assert kept.hosted_invoice_url
        assert kept.hosted_invoice_url.startswith(second.url)
        assert fetch(kept.hosted_invoice_url).status == 200
        second.control.advance_clock(DAY)
        assert [e.data.object.id for e in sdk.v1.events.list(params={"type": "invoice.overdue"}).data] == [
            invoice.id
        ]


def test_the_page_answers_other_methods_without_paying(sdk):
    invoice = finalized(sdk, [1000])
    parts = urlsplit(str(invoice.hosted_invoice_url))
    for method, path in (("DELETE", parts.path), ("POST", f"{parts.path}/pdf")):
        connection = http.client.HTTPConnection(parts.netloc, timeout=10)
        connection.request(method, path, body=b"number=4242424242424242&expiry=12/40&cvc=123")
        assert connection.getresponse().status in (404, 405)
        connection.close()
    assert sdk.v1.invoices.retrieve(invoice.id).status == "open"


def test_a_customer_is_updated_with_what_changed_and_expands_on_its_invoice(sdk, control, receiver):
    customer = sdk.v1.customers.create(params={"email": "old@acme.test", "invoice_prefix": "ACME"})
    updated = sdk.v1.customers.update(
        customer.id, params={"email": "billing@acme.test", "name": "Acme", "metadata": {"crm": "9"}}
    )
    assert (updated.email, updated.name, updated.metadata.to_dict()) == (
        "billing@acme.test",
        "Acme",
        {"crm": "9"},
    )
    assert control.wait_for_webhooks()
    (event,) = [e for e in receiver.events() if e["type"] == "customer.updated"]
    assert event["data"]["previous_attributes"] == {"email": "old@acme.test", "name": None, "metadata": {}}
    invoice = sdk.v1.invoices.create(
        params={
            "customer": customer.id,
            "collection_method": "send_invoice",
            "days_until_due": 7,
            "expand": ["customer"],
        }
    )
    assert isinstance(invoice.customer, stripe.Customer)
    assert invoice.customer.email == "billing@acme.test"
    opened = sdk.v1.invoices.finalize_invoice(invoice.id)
    assert opened.number == "ACME-0001"
    bad = error_of(lambda: sdk.v1.customers.create(params={"invoice_prefix": "acme-1"}))
    assert (bad.http_status, bad.error.param if bad.error else None) == (400, "invoice_prefix")


@pytest.mark.parametrize(
    "form",
    [
        "",
        "customer=",
        "customer[x]=1",
        "amount=abc&currency=usd",
        "price_data=1",
        "price_data[unit_amount]=x",
        "days_until_due=99999999999999999999",
        "metadata=1",
        "period[start]=5&period[end]=1",
        "quantity=-1",
        "paid_out_of_band=maybe",
        "expand[]=nothing",
        "lines[0]=1",
    ],
)
def test_malformed_input_to_every_invoicing_call_is_a_clear_4xx(server, sdk, form):
    open_invoice = finalized(sdk, [1000])
    draft = invoice_with_items(sdk, [1000])
    item = item_of(draft.lines.data[0])
    customer = str(draft.customer)
    calls = [
        ("POST", "/v1/customers"),
        ("POST", f"/v1/customers/{customer}"),
        ("GET", f"/v1/customers?{form}"),
        ("POST", "/v1/invoiceitems"),
        ("GET", f"/v1/invoiceitems?{form}"),
        ("POST", "/v1/invoices"),
        ("POST", f"/v1/invoices/{draft.id}"),
        ("GET", f"/v1/invoices?{form}"),
        ("GET", f"/v1/invoices/{open_invoice.id}/lines?{form}"),
        *[("POST", f"/v1/invoices/{open_invoice.id}/{action}") for action in ("pay", "send", "void")],
        ("POST", f"/v1/invoices/{draft.id}/finalize"),
        ("POST", f"/v1/invoices/{open_invoice.id}/mark_uncollectible"),
        ("GET", f"/v1/invoice_payments?{form}"),
        ("DELETE", f"/v1/invoiceitems/{item}?{form}"),
    ]
    for method, path in calls:
        status, body = raw(server, path, method=method, form=form if method == "POST" else None)
        assert status < 500, (method, path, body)
        if status >= 400:
            assert body["error"]["message"], (method, path)

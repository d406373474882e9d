"""Checkout Sessions with `customer` and `invoice_creation` through the real SDK: the paid
post-payment invoice a paid session makes (lines, payment, page, PDF, events before
`checkout.session.completed`), guest customers, SEPA debits, expiry, idempotency, errors, and a
credit note refunding the session's charge."""

from __future__ import annotations

import urllib.request
from typing import Any

import pytest
import stripe

import stripe_local
from tests.stripe_local.support import create_session, line_item
from tests.stripe_local.test_checkout_page import fetch

pytestmark = pytest.mark.usefixtures("server")

INVOICE_DATA = {
    "description": "Seats for the spring cohort",
    "footer": "Thank you — Microcred",
    "metadata": {"order": "17"},
    "custom_fields": [{"name": "PO number", "value": "PO-0042"}],
}


def customer_of(sdk: stripe.StripeClient, email: str = "billing@employer.test") -> stripe.Customer:
    return sdk.v1.customers.create(params={"email": email, "name": "Employer Ltd"})


def invoicing_session(sdk: stripe.StripeClient, **extra: Any) -> stripe.checkout.Session:
    seats = {**line_item(1500, "Seat"), "quantity": 2}
    return create_session(
        sdk,
        line_items=[seats, line_item(4900, "Data Analytics Fundamentals")],
        invoice_creation={"enabled": True, "invoice_data": INVOICE_DATA},
        **extra,
    )


def event_types(sdk: stripe.StripeClient) -> list[str]:
    """Every event's type, oldest first."""
    return [event.type for event in reversed(sdk.v1.events.list(params={"limit": 100}).data)]


def test_a_paid_session_with_a_customer_makes_a_paid_invoice_of_its_line_items(sdk, control):
    customer = customer_of(sdk)
    session = invoicing_session(sdk, customer=customer.id)
    assert session.customer == customer.id
    assert session.customer_email is None
    assert session.invoice is None
    assert session.invoice_creation is not None
    assert session.invoice_creation.enabled is True
    data = session.invoice_creation.invoice_data
    assert (data.description, data.footer) == (INVOICE_DATA["description"], INVOICE_DATA["footer"])
    assert data.metadata is not None
    assert data.metadata.to_dict() == {"order": "17"}
    assert data.custom_fields is not None
    assert [(f.name, f.value) for f in data.custom_fields] == [("PO number", "PO-0042")]

    answer = control.pay(session.id, "4242424242424242")
    assert answer["paid"], answer
    done = sdk.v1.checkout.sessions.retrieve(session.id, params={"expand": ["invoice"]})
    assert (done.status, done.payment_status, done.customer) == ("complete", "paid", customer.id)
    assert done.customer_details is not None
    assert done.customer_details.email == "billing@employer.test"
    invoice = done.invoice
    assert isinstance(invoice, stripe.Invoice)
    assert invoice.id.startswith("in_")
    assert (invoice.status, invoice.collection_method, invoice.customer) == (
        "paid",
        "charge_automatically",
        customer.id,
    )
    assert invoice.amount_paid == done.amount_total == 2 * 1500 + 4900
    assert (invoice.amount_due, invoice.amount_remaining, invoice.amount_paid_off_stripe) == (7900, 0, 0)
    assert invoice.total == invoice.subtotal == 7900
    assert invoice.number == f"{customer.invoice_prefix}-0001"
    assert (invoice.description, invoice.footer) == (INVOICE_DATA["description"], INVOICE_DATA["footer"])
    assert invoice.metadata is not None
    assert invoice.metadata.to_dict() == {"order": "17"}
    assert invoice.custom_fields is not None
    assert [(f.name, f.value) for f in invoice.custom_fields] == [("PO number", "PO-0042")]
    assert (invoice.customer_email, invoice.customer_name) == ("billing@employer.test", "Employer Ltd")
    assert invoice.status_transitions.paid_at is not None
    lines = sdk.v1.invoices.line_items.list(invoice.id).data
    assert [(line.description, line.quantity, line.amount) for line in lines] == [
        ("Seat", 2, 3000),
        ("Data Analytics Fundamentals", 1, 4900),
    ]

    (payment,) = sdk.v1.invoice_payments.list(params={"invoice": invoice.id}).data
    assert payment.payment.type == "payment_intent"
    assert payment.payment.payment_intent == done.payment_intent
    assert (payment.status, payment.amount_paid) == ("paid", 7900)
    assert isinstance(done.payment_intent, str)
    intent = sdk.v1.payment_intents.retrieve(done.payment_intent)
    assert (intent.status, intent.customer) == ("succeeded", customer.id)
    assert isinstance(intent.latest_charge, str)
    charge = sdk.v1.charges.retrieve(intent.latest_charge)
    assert (charge.customer, charge.amount) == (customer.id, 7900)

    page = fetch(invoice.hosted_invoice_url)
    assert page.status == 200
    assert "Invoice paid" in page.body
    assert invoice.invoice_pdf == f"{invoice.hosted_invoice_url}/pdf"
    with urllib.request.urlopen(invoice.invoice_pdf, timeout=10) as pdf:
        assert pdf.status == 200
        assert pdf.read().startswith(b"%PDF-1.4")

    types = event_types(sdk)
    invoice_events = [
        "invoice.created",
        "invoice.finalized",
        "invoice.paid",
        "invoice.payment_succeeded",
        "invoice_payment.paid",
        "checkout.session.completed",
    ]
    assert [t for t in types if t in invoice_events] == invoice_events
    assert types.index("charge.succeeded") < types.index("invoice.created")
    (completed,) = sdk.v1.events.list(params={"type": "checkout.session.completed"}).data
    assert completed.data.object["invoice"] == invoice.id


def test_without_invoice_creation_nothing_changes(sdk, control):
    customer = customer_of(sdk)
    session = create_session(sdk, customer=customer.id)
    assert session.invoice_creation is not None
    assert session.invoice_creation.enabled is False
    control.pay(session.id, "4242424242424242")
    done = sdk.v1.checkout.sessions.retrieve(session.id)
    assert (done.status, done.invoice, done.customer) == ("complete", None, customer.id)
    assert sdk.v1.invoices.list().data == []
    plain = create_session(sdk)
    control.pay(plain.id, "4242424242424242")
    again = sdk.v1.checkout.sessions.retrieve(plain.id)
    assert (again.customer, again.invoice) == (None, None)
    assert len(sdk.v1.customers.list().data) == 1
    assert not [t for t in event_types(sdk) if t.startswith("invoice")]


def test_a_session_without_a_customer_invoices_a_guest_customer_made_from_the_payment(sdk, control):
    session = invoicing_session(sdk)
    assert session.customer is None
    declined = control.pay(session.id, "4000000000009995", email="ada@example.com", name="Ada L")
    assert not declined["paid"]
    assert sdk.v1.checkout.sessions.retrieve(session.id).customer is None  # shown once complete
    control.pay(session.id, "4242424242424242", email="ada@example.com", name="Ada L")
    done = sdk.v1.checkout.sessions.retrieve(session.id)
    assert isinstance(done.customer, str)
    guest = sdk.v1.customers.retrieve(done.customer)
    assert (guest.email, guest.name) == ("ada@example.com", "Ada L")
    assert done.customer_details is not None
    assert done.customer_details.email == "ada@example.com"
    (invoice,) = sdk.v1.invoices.list().data
    assert (invoice.id, invoice.customer, invoice.customer_email) == (
        done.invoice,
        guest.id,
        "ada@example.com",
    )
    assert (invoice.status, invoice.attempt_count, invoice.amount_paid) == ("paid", 1, 7900)
    assert len(sdk.v1.invoice_payments.list(params={"invoice": invoice.id}).data) == 1


def test_a_sepa_debit_invoices_when_it_succeeds_and_not_when_it_fails(sdk, control):
    customer = customer_of(sdk)
    good = invoicing_session(sdk, customer=customer.id, payment_method_types=["card", "sepa_debit"])
    bad = invoicing_session(sdk, customer=customer.id, payment_method_types=["sepa_debit"])
    control.pay(good.id, iban="DE89370400440532013000")
    control.pay(bad.id, iban="DE62370400440532013001")
    pending = sdk.v1.checkout.sessions.retrieve(good.id)
    assert (pending.status, pending.payment_status, pending.invoice) == ("complete", "unpaid", None)
    assert sdk.v1.invoices.list().data == []
    control.advance_clock(180)
    settled = sdk.v1.checkout.sessions.retrieve(good.id)
    assert settled.payment_status == "paid"
    assert isinstance(settled.invoice, str)
    invoice = sdk.v1.invoices.retrieve(settled.invoice)
    assert (invoice.status, invoice.amount_paid) == ("paid", 7900)
    assert sdk.v1.checkout.sessions.retrieve(bad.id).invoice is None
    assert [i.id for i in sdk.v1.invoices.list().data] == [invoice.id]
    types = event_types(sdk)
    assert types.index("invoice.paid") < types.index("checkout.session.async_payment_succeeded")


def test_an_expired_session_makes_no_invoice(sdk, control):
    customer = customer_of(sdk)
    session = invoicing_session(sdk, customer=customer.id)
    control.pay(session.id, "4000000000000002")
    expired = sdk.v1.checkout.sessions.expire(session.id)
    assert (expired.status, expired.invoice) == ("expired", None)
    timed_out = invoicing_session(sdk, customer=customer.id, expires_at=control.now() + 1800)
    control.advance_clock(1801)
    assert sdk.v1.checkout.sessions.retrieve(timed_out.id).status == "expired"
    assert sdk.v1.invoices.list().data == []


def test_an_idempotent_create_replays_the_same_session(sdk, control):
    customer = customer_of(sdk)
    params: Any = {
        "mode": "payment",
        "success_url": "http://shop.test/paid",
        "line_items": [line_item(4900)],
        "customer": customer.id,
        "invoice_creation": {"enabled": True, "invoice_data": INVOICE_DATA},
    }
    options: stripe.RequestOptions = {"idempotency_key": "checkout:17"}
    first = sdk.v1.checkout.sessions.create(params=params, options=options)
    again = sdk.v1.checkout.sessions.create(params=params, options=options)
    assert again.to_dict() == first.to_dict()
    assert len(sdk.v1.checkout.sessions.list().data) == 1
    control.pay(first.id, "4242424242424242")
    assert len(sdk.v1.invoices.list().data) == 1


def _error(call: Any) -> stripe.InvalidRequestError:
    with pytest.raises(stripe.InvalidRequestError) as raised:
        call()
    return raised.value


def test_a_bad_customer_or_invoice_data_is_refused(sdk):
    missing = _error(lambda: create_session(sdk, customer="cus_missing"))
    assert (missing.http_status, missing.code, missing.param) == (404, "resource_missing", "customer")
    assert "No such customer: 'cus_missing'" in str(missing.user_message)
    customer = customer_of(sdk)
    both = _error(lambda: create_session(sdk, customer=customer.id, customer_email="a@example.com"))
    assert (both.http_status, both.param) == (400, "customer_email")
    assert "only specify one of these parameters: customer, customer_email" in str(both.user_message)
    issuer = _error(
        lambda: create_session(
            sdk, invoice_creation={"enabled": True, "invoice_data": {"issuer": {"type": "self"}}}
        )
    )
    assert (issuer.http_status, issuer.param) == (400, "invoice_creation[invoice_data][issuer]")
    no_enabled = _error(lambda: create_session(sdk, invoice_creation={"invoice_data": {"footer": "x"}}))
    assert (no_enabled.http_status, no_enabled.code) == (400, "parameter_missing")
    assert sdk.v1.checkout.sessions.list().data == []


def test_a_credit_note_with_refund_amount_refunds_the_sessions_charge(sdk, control):
    customer = customer_of(sdk)
    session = invoicing_session(sdk, customer=customer.id)
    charge_id = control.pay(session.id, "4242424242424242")["charge"]["id"]
    done = sdk.v1.checkout.sessions.retrieve(session.id)
    assert isinstance(done.invoice, str)
    note = sdk.v1.credit_notes.create(params={"invoice": done.invoice, "amount": 3000, "refund_amount": 3000})
    assert (note.type, note.status, note.amount) == ("post_payment", "issued", 3000)
    (refund,) = note.refunds
    assert refund.amount_refunded == 3000
    charge = sdk.v1.charges.retrieve(charge_id)
    assert charge.amount_refunded == 3000
    assert charge.refunds is not None
    assert [r.id for r in charge.refunds.data] == [refund.refund]
    invoice = sdk.v1.invoices.retrieve(done.invoice)
    assert (invoice.status, invoice.post_payment_credit_notes_amount) == ("paid", 3000)


def test_the_hosted_page_takes_the_customers_email_and_pays_into_an_invoice(sdk):
    customer = customer_of(sdk)
    session = invoicing_session(sdk, customer=customer.id)
    page = fetch(session.url)
    assert page.status == 200
    assert "Receipt to <strong>billing@employer.test</strong>" in page.body
    paid = fetch(
        session.url, {"method": "card", "number": "4242 4242 4242 4242", "expiry": "12/40", "cvc": "123"}
    )
    assert paid.status == 303
    done = sdk.v1.checkout.sessions.retrieve(session.id)
    assert done.status == "complete"
    assert isinstance(done.invoice, str)
    assert sdk.v1.invoices.retrieve(done.invoice).status == "paid"


def test_a_sessions_customer_and_invoice_survive_a_restart(tmp_path):
    state = tmp_path / "stripe.json"
    with stripe_local.running(frozen_clock=True, tick_interval=None, state_file=state) as first:
        sdk = first.client()
        customer = customer_of(sdk)
        session = invoicing_session(sdk, customer=customer.id)
        first.control.pay(session.id)
        before = sdk.v1.checkout.sessions.retrieve(session.id)
        first.changed()
    with stripe_local.running(frozen_clock=True, tick_interval=None, state_file=state) as second:
        after = second.client().v1.checkout.sessions.retrieve(session.id)
        assert (after.customer, after.invoice) == (customer.id, before.invoice)
        assert after.invoice_creation is not None
        assert before.invoice_creation is not None
        assert after.invoice_creation.to_dict() == before.invoice_creation.to_dict()

"""The invoicing calls of payments.stripe_api against the local Stripe: a customer, a draft
send_invoice invoice with its seats, finalized once however often it is asked, and voided; each
call safe to repeat with its idempotency key."""

from __future__ import annotations

import pytest

from payments import stripe_api
from tests.payments.conftest import API_KEY, WHSEC_A, configure_stripe

pytestmark = pytest.mark.django_db


@pytest.fixture
def tenant(world, stripe_server):
    configure_stripe(world.a, secret_key=API_KEY, webhook_secret=WHSEC_A)
    return world.a


def seat_invoice(tenant, *, key: str = "pool-1"):
    customer = stripe_api.customer_create(
        tenant=tenant,
        email="billing@acme.test",
        name="Acme Training",
        metadata={"employer": "1"},
        key=f"{key}:customer",
    )
    invoice = stripe_api.invoice_create(
        tenant=tenant,
        customer_id=customer.id,
        currency="eur",
        days_until_due=30,
        metadata={"pool": "1"},
        key=f"{key}:invoice",
        footer="PO 4500012345",
    )
    stripe_api.invoice_item_create(
        tenant=tenant,
        customer_id=customer.id,
        invoice_id=invoice.id,
        currency="eur",
        unit_amount=4900,
        quantity=20,
        description="Data Analytics Fundamentals, 20 seats",
        metadata={"pool": "1"},
        key=f"{key}:item:1",
    )
    return customer, invoice


def test_an_employer_invoice_is_made_finalized_and_read_back(tenant, stripe_server):
    customer, draft = seat_invoice(tenant)
    assert (draft.collection_method, draft.status, draft.auto_advance) == ("send_invoice", "draft", False)
    opened = stripe_api.invoice_finalize(tenant=tenant, invoice_id=draft.id, key="pool-1:finalize")
    assert (opened.status, opened.amount_due, opened.currency) == ("open", 98_000, "eur")
    assert opened.number
    assert opened.hosted_invoice_url
    assert opened.invoice_pdf
    finalized_at = opened.status_transitions.finalized_at
    assert finalized_at is not None
    assert opened.due_date == finalized_at + 30 * 86_400
    read = stripe_api.invoice_retrieve(tenant=tenant, invoice_id=draft.id)
    assert (read.number, read.footer, read.customer) == (opened.number, "PO 4500012345", customer.id)


def test_repeating_every_call_makes_nothing_twice(tenant, stripe_server):
    first_customer, first = seat_invoice(tenant)
    again_customer, again = seat_invoice(tenant)
    assert (again_customer.id, again.id) == (first_customer.id, first.id)
    client = stripe_server.client(API_KEY)
    assert len(client.v1.customers.list().data) == 1
    assert [line.amount for line in client.v1.invoices.retrieve(first.id).lines.data] == [98_000]
    once = stripe_api.invoice_finalize(tenant=tenant, invoice_id=first.id, key="pool-1:finalize")
    # A second try under another key (the first answer lost, say) gets the invoice as it is.
    twice = stripe_api.invoice_finalize(tenant=tenant, invoice_id=first.id, key="pool-1:finalize:retry")
    assert (twice.number, twice.status) == (once.number, "open")


def test_void_ends_it_and_voiding_a_paid_invoice_is_refused(tenant, stripe_server):
    _, draft = seat_invoice(tenant)
    stripe_api.invoice_finalize(tenant=tenant, invoice_id=draft.id, key="pool-1:finalize")
    voided = stripe_api.invoice_void(tenant=tenant, invoice_id=draft.id, key="pool-1:void")
    assert voided.status == "void"
    _, other = seat_invoice(tenant, key="pool-2")
    stripe_api.invoice_finalize(tenant=tenant, invoice_id=other.id, key="pool-2:finalize")
    stripe_server.control.pay_invoice(other.id)
    with pytest.raises(stripe_api.StripeRefused) as refused:
        stripe_api.invoice_void(tenant=tenant, invoice_id=other.id, key="pool-2:void")
    assert refused.value.invalid_request
    assert stripe_api.invoice_retrieve(tenant=tenant, invoice_id=other.id).status == "paid"

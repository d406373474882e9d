"""Checkout Sessions' post-payment invoices (`invoice_creation[enabled]=true`, mode `payment`).

As at Stripe, such a session needs a customer: the `customer` it was created with, or a guest
customer made from what was typed at the first payment attempt (its e-mail and name). When the
payment succeeds (a card at once; a test IBAN when the debit settles) the session gets a paid
invoice: `collection_method=charge_automatically`, one line per line item (`unit_amount` ×
`quantity`), `invoice_data`'s description, footer, metadata and custom fields, a number, a hosted
page and PDF, and an invoice payment of the session's payment intent. Its events
(`invoice.created`, `.finalized`, `.paid`, `.payment_succeeded`, `invoice_payment.paid`) come
before `checkout.session.completed` (or `.async_payment_succeeded`).
"""

from __future__ import annotations

import secrets

from stripe_local.api import Json
from stripe_local.errors import invalid, missing
from stripe_local.ids import new_id
from stripe_local.models import CheckoutSession, Customer, Invoice, InvoiceData, InvoiceItem
from stripe_local.params import Params, new_metadata
from stripe_local.resources import invoices
from stripe_local.resources.customers import render_customer
from stripe_local.store import Store

MAX_CUSTOM_FIELDS = 4
UNSUPPORTED = ("account_tax_ids", "issuer", "rendering_options")


def read_invoice_creation(params: Params) -> InvoiceData | None:
    """`invoice_creation[enabled, invoice_data[...]]`; None when it is absent or not enabled."""
    creation = params.nested("invoice_creation")
    if creation is None:
        return None
    enabled = creation.boolean("enabled")
    if enabled is None:
        raise missing(creation.name("enabled"))
    data = InvoiceData()
    given = creation.nested("invoice_data")
    if given is not None:
        for key in UNSUPPORTED:
            if given.has(key):
                raise invalid(
                    f"The local Stripe server does not take {given.name(key)} (no tax ids, issuers or "
                    "rendering options).",
                    param=given.name(key),
                )
        data.description = given.string("description", max_length=1500)
        data.footer = given.string("footer", max_length=5000)
        data.metadata = new_metadata(given)
        fields = given.nested_list("custom_fields")
        if len(fields) > MAX_CUSTOM_FIELDS:
            raise invalid(
                f"Invalid array: {given.name('custom_fields')} can have at most {MAX_CUSTOM_FIELDS} items.",
                param=given.name("custom_fields"),
            )
        custom = []
        for field in fields:
            custom.append(
                {
                    "name": field.need_string("name", max_length=40),
                    "value": field.need_string("value", max_length=140),
                }
            )
            field.finish()
        data.custom_fields = custom or None
        given.finish()
    creation.finish()
    return data if enabled else None


def render_invoice_creation(session: CheckoutSession) -> Json:
    data = session.invoice_creation or InvoiceData()
    return {
        "enabled": session.invoice_creation is not None,
        "invoice_data": {
            "account_tax_ids": None,
            "custom_fields": [dict(field) for field in data.custom_fields] if data.custom_fields else None,
            "description": data.description,
            "footer": data.footer,
            "issuer": None,
            "metadata": dict(data.metadata),
            "rendering_options": None,
        },
    }


def ensure_customer(store: Store, session: CheckoutSession, *, email: str | None, name: str | None) -> None:
    """A session that makes an invoice and has no customer gets a guest one at its first attempt."""
    if session.invoice_creation is None:
        return
    if session.customer is not None:
        customer = store.customers.must(session.customer)
        if not session.customer_given and email and customer.email != email:
            customer.email = email  # a guest who typed another address on a later attempt
        return
    customer = Customer(
        id=new_id("cus_", 14),
        created=store.now(),
        email=email or session.customer_email,
        name=name,
        description=None,
        phone=None,
        metadata={},
        invoice_prefix=secrets.token_hex(4).upper(),
        preferred_locales=[],
    )
    store.customers.add(customer)
    session.customer = customer.id
    store.emit("customer.created", render_customer(store, customer))


def make_invoice(store: Store, session: CheckoutSession) -> Invoice | None:
    """The paid invoice of a session whose payment succeeded (once; None without invoice_creation)."""
    data = session.invoice_creation
    if (
        data is None
        or session.invoice is not None
        or session.customer is None
        or session.payment_intent is None
    ):
        return None
    intent = store.payment_intents.must(session.payment_intent)
    customer = store.customers.must(session.customer)
    now = store.now()
    invoice = Invoice(
        id=new_id("in_"),
        created=now,
        customer=customer.id,
        currency=session.currency,
        collection_method="charge_automatically",
        days_until_due=None,
        due_date=None,
        auto_advance=False,
        description=data.description,
        footer=data.footer,
        metadata=dict(data.metadata),
        hosted_token=secrets.token_urlsafe(24),
        custom_fields=[dict(field) for field in data.custom_fields] if data.custom_fields else None,
    )
    for line in session.line_items:
        item = InvoiceItem(
            id=new_id("ii_"),
            created=now,
            customer=customer.id,
            currency=session.currency,
            unit_amount=line.unit_amount,
            quantity=line.quantity,
            description=line.description,
            metadata={},
            price_id=line.price_id,
            product_id=line.product_id,
            line_id=new_id("il_"),
            period_start=now,
            period_end=now,
            invoice=invoice.id,
        )
        store.invoice_items.add(item)
        invoice.items.append(item.id)
    store.invoices.add(invoice)
    if customer.currency is None:
        customer.currency = session.currency
    store.emit("invoice.created", invoices.render_invoice(store, invoice))
    invoices.finalize(store, invoice)  # auto_advance off, no due date: `invoice.finalized` only
    invoice.payment_intent = intent.id
    invoice.attempt_count = 1
    invoice.attempted = True
    invoices.record_payment(store, invoice, intent)
    session.invoice = invoice.id
    return invoice

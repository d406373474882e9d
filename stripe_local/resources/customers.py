"""Customers: who an invoice is for. Create, retrieve, update, list (`email`, `created`).

Each customer gets an `invoice_prefix` (eight upper-case letters and digits) and numbers its
invoices `PREFIX-0001`, `PREFIX-0002`, … as they are finalized (`next_invoice_sequence`).
"""

from __future__ import annotations

import re
import secrets

from stripe_local.api import Call, Json, list_page, route
from stripe_local.errors import invalid, no_such
from stripe_local.ids import new_id
from stripe_local.models import Customer
from stripe_local.params import Params, check_email, merge_metadata, new_metadata
from stripe_local.store import Store

_ADDRESS = ("city", "country", "line1", "line2", "postal_code", "state")
_PREFIX = re.compile(r"^[A-Z0-9]{3,12}$")


def _prefix(params: Params) -> str | None:
    prefix = params.string("invoice_prefix", max_length=12)
    if prefix is not None and not _PREFIX.match(prefix):
        raise invalid(
            "Invalid invoice_prefix: must be 3 to 12 upper-case letters or digits.", param="invoice_prefix"
        )
    return prefix


def _address(params: Params) -> dict[str, str | None] | None:
    if params.raw().get("address") == "":
        params.string("address")
        return None
    nested = params.nested("address")
    if nested is None:
        return None
    address = {key: nested.string(key, max_length=200) for key in _ADDRESS}
    nested.finish()
    return address


def _email(params: Params) -> str | None:
    email = params.string("email", max_length=512)
    return None if email is None else check_email(email, "email")


def create_customer(call: Call) -> Json:
    store, params = call.store, call.params
    customer = Customer(
        id=new_id("cus_", 14),
        created=store.now(),
        email=_email(params),
        name=params.string("name", max_length=256),
        description=params.string("description", max_length=350),
        phone=params.string("phone", max_length=20),
        metadata=new_metadata(params),
        invoice_prefix=_prefix(params) or secrets.token_hex(4).upper(),
        preferred_locales=params.string_list("preferred_locales") or [],
        address=_address(params),
    )
    params.finish()
    store.customers.add(customer)
    store.emit("customer.created", render_customer(store, customer))
    return render_customer(store, customer)


def get_customer(store: Store, customer_id: str, param: str = "id") -> Customer:
    customer = store.customers.get(customer_id)
    if customer is None:
        raise no_such("customer", customer_id, param=param)
    return customer


def retrieve_customer(call: Call) -> Json:
    call.params.finish()
    return render_customer(call.store, get_customer(call.store, call.ids["id"]))


def update_customer(call: Call) -> Json:
    store, params = call.store, call.params
    customer = get_customer(store, call.ids["id"])
    before = render_customer(store, customer)
    for key, limit in (("name", 256), ("description", 350), ("phone", 20)):
        if params.has(key):
            setattr(customer, key, params.string(key, max_length=limit))
    if params.has("email"):
        customer.email = _email(params)
    if params.has("address"):
        customer.address = _address(params)
    if params.has("preferred_locales"):
        customer.preferred_locales = params.string_list("preferred_locales") or []
    if params.has("invoice_prefix"):
        customer.invoice_prefix = _prefix(params) or customer.invoice_prefix
    metadata = params.metadata()
    params.finish()
    if metadata is not None:
        customer.metadata = merge_metadata(customer.metadata, metadata)
    after = render_customer(store, customer)
    previous = {key: value for key, value in before.items() if after[key] != value}
    if previous:
        store.emit("customer.updated", after, previous)
    return after


def list_customers(call: Call) -> Json:
    email = call.params.string("email", max_length=512)
    return list_page(call, call.store.customers, render_customer, url="/v1/customers", equal={"email": email})


def render_customer(store: Store, customer: Customer) -> Json:
    address = customer.address
    return {
        "id": customer.id,
        "object": "customer",
        "address": None if address is None else {key: address.get(key) for key in _ADDRESS},
        "balance": customer.balance,
        "created": customer.created,
        "currency": customer.currency,
        "customer_account": None,
        "default_source": None,
        "delinquent": False,
        "description": customer.description,
        "discount": None,
        "email": customer.email,
        "invoice_prefix": customer.invoice_prefix,
        "invoice_settings": {
            "custom_fields": None,
            "default_payment_method": None,
            "footer": None,
            "rendering_options": None,
        },
        "livemode": False,
        "metadata": dict(customer.metadata),
        "name": customer.name,
        "next_invoice_sequence": customer.next_invoice_sequence,
        "phone": customer.phone,
        "preferred_locales": list(customer.preferred_locales),
        "shipping": None,
        "tax_exempt": "none",
        "test_clock": None,
    }


ROUTES = [
    route("GET", "/v1/customers", list_customers),
    route("POST", "/v1/customers", create_customer),
    route("GET", "/v1/customers/{id}", retrieve_customer),
    route("POST", "/v1/customers/{id}", update_customer),
]

"""Checkout Sessions (mode `payment`, `price_data` line items) and paying them.

A session is paid on the hosted page at its `url` (see `checkout_page.py`) or through
`/_control/checkout/sessions/{id}/pay`. Its payment intent is made at the first attempt, as
Stripe's is; a declined card leaves the session open for another try. It ends `complete`
(`checkout.session.completed`, `payment_status` paid — or unpaid for a test IBAN, followed by
`checkout.session.async_payment_succeeded`/`_failed`), or `expired` at `expires_at` on the server's
clock or when expired through the API (`checkout.session.expired`). With `invoice_creation` a
successful payment also makes a paid invoice first (see `checkout_invoices.py`).
"""

from __future__ import annotations

import re
from dataclasses import replace

from stripe_local.api import Call, Json, list_object, list_page, route
from stripe_local.cards import CardInput, CardInputError, normalise
from stripe_local.cards import lookup as lookup_card
from stripe_local.errors import ApiError, invalid, no_such
from stripe_local.ids import new_id, session_id
from stripe_local.models import Charge, CheckoutSession, LineItem, PaymentIntent
from stripe_local.params import Params, check_email, exclusive, new_metadata
from stripe_local.resources import charges, checkout_invoices, intents
from stripe_local.store import Store

MIN_LIFETIME = 30 * 60
MAX_LIFETIME = 24 * 60 * 60
_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)


def check_url(value: str, param: str) -> str:
    if not _URL.match(value):
        raise invalid(f"Not a valid URL: {value}", param=param, code="url_invalid")
    return value


# Creating ----------------------------------------------------------------------------------------


def _line_items(store: Store, params: Params) -> tuple[list[LineItem], str]:
    items: list[LineItem] = []
    currencies: set[str] = set()
    for item in params.nested_list("line_items", required=True):
        if item.has("price"):
            raise invalid(
                "The local Stripe server has no Prices: give line_items[][price_data] instead of a price id.",
                param=item.name("price"),
            )
        price = item.need_nested("price_data")
        currency = price.need_string("currency").lower()
        unit_amount = price.need_integer("unit_amount", minimum=0)
        price.string("tax_behavior", choices=("exclusive", "inclusive", "unspecified"))
        product = price.need_nested("product_data")
        name = product.need_string("name")
        product.string("description")
        product.metadata()
        product.finish()
        price.finish()
        quantity = item.need_integer("quantity", minimum=1)
        item.finish()
        currencies.add(currency)
        items.append(
            LineItem(
                id=new_id("li_"),
                description=name,
                unit_amount=unit_amount,
                quantity=quantity,
                price_id=new_id("price_"),
                product_id=new_id("prod_"),
                created=store.now(),
            )
        )
    if not items:
        raise invalid("line_items must contain at least one item.", param="line_items")
    if len(currencies) > 1:
        raise invalid("All line items must have the same currency.", param="line_items")
    return items, currencies.pop()


def _expires_at(store: Store, params: Params) -> int:
    now = store.now()
    expires_at = params.integer("expires_at")
    if expires_at is None:
        return now + MAX_LIFETIME
    if expires_at < now + MIN_LIFETIME:
        raise invalid(
            "The `expires_at` timestamp must be at least 30 minutes from Checkout Session creation.",
            param="expires_at",
        )
    if expires_at > now + MAX_LIFETIME:
        raise invalid(
            "The `expires_at` timestamp must be less than 24 hours from Checkout Session creation.",
            param="expires_at",
        )
    return expires_at


def create_session(call: Call) -> Json:
    store, params = call.store, call.params
    mode = params.need_string("mode", choices=("payment", "setup", "subscription"))
    if mode != "payment":
        raise invalid(
            "The local Stripe server supports Checkout Sessions in mode=payment only.", param="mode"
        )
    params.string("ui_mode", choices=("hosted", "hosted_page"))
    success_url = check_url(params.need_string("success_url"), "success_url")
    cancel_url = params.string("cancel_url")
    if cancel_url is not None:
        check_url(cancel_url, "cancel_url")
    items, currency = _line_items(store, params)
    amount = sum(item.amount for item in items)
    intents.check_amount(amount, currency, "line_items")
    exclusive(params, "customer", "customer_email")
    customer_email = params.string("customer_email")
    if customer_email is not None:
        check_email(customer_email, "customer_email")
    customer = params.string("customer")
    if customer is not None and store.customers.get(customer) is None:
        raise no_such("customer", customer, param="customer")
    invoice_creation = checkout_invoices.read_invoice_creation(params)
    intent_data = params.nested("payment_intent_data") or Params({}, "payment_intent_data")
    terms = intents.read_terms(intent_data, amount=amount)
    intent_data.finish()
    types = params.string_list("payment_method_types") or ["card"]
    if not set(types) <= {"card", "sepa_debit"}:
        raise invalid(
            "The local Stripe server takes payment_method_types card and sepa_debit only.",
            param="payment_method_types",
        )
    identifier = session_id()
    session = CheckoutSession(
        id=identifier,
        created=store.now(),
        expires_at=_expires_at(store, params),
        currency=currency,
        amount_total=amount,
        line_items=items,
        success_url=success_url,
        cancel_url=cancel_url,
        client_reference_id=params.string("client_reference_id", max_length=200),
        customer_email=customer_email,
        metadata=new_metadata(params),
        terms=terms,
        locale=params.string("locale"),
        submit_type=params.string("submit_type", choices=("auto", "book", "donate", "pay")),
        payment_method_types=types,
        customer=customer,
        customer_given=customer is not None,
        invoice_creation=invoice_creation,
    )
    params.finish()
    store.sessions.add(session)
    store.schedule(session.expires_at, "session_expires", session.id)
    return render_session(store, session)


# Paying ------------------------------------------------------------------------------------------


def known_email(store: Store, session: CheckoutSession) -> str | None:
    """The e-mail of the session's customer, when it has one."""
    customer = store.customers.get(session.customer) if session.customer else None
    return customer.email if customer is not None else None


def _intent_for(store: Store, session: CheckoutSession) -> PaymentIntent:
    if session.payment_intent is not None:
        return store.payment_intents.must(session.payment_intent)
    intent = intents.new_payment_intent(
        store,
        amount=session.amount_total,
        currency=session.currency,
        terms=replace(session.terms, metadata=dict(session.terms.metadata), customer=session.customer),
        payment_method_types=list(session.payment_method_types),
        checkout_session=session.id,
    )
    session.payment_intent = intent.id
    store.sessions.reindex(session, "payment_intent", None)
    return intent


def check_open(session: CheckoutSession) -> None:
    if session.status != "open":
        raise ApiError(
            400,
            f"This Checkout Session is {session.status}: it can no longer be paid.",
            code="checkout_session_not_open",
        )


def pay_with_card(
    store: Store, session: CheckoutSession, card: CardInput, *, name: str | None, email: str | None
) -> Charge:
    """One attempt to pay the session. A success completes it; a decline leaves it open."""
    check_open(session)
    checkout_invoices.ensure_customer(store, session, email=email, name=name)
    intent = _intent_for(store, session)
    charge = charges.attempt_card(
        store,
        intent,
        lookup_card(card.number),
        exp_month=card.exp_month,
        exp_year=card.exp_year,
        name=name,
        email=email or session.customer_email or known_email(store, session),
    )
    if charge.paid:
        _complete(store, session, name=name, email=email, payment_status="paid")
    return charge


def pay_with_iban(
    store: Store, session: CheckoutSession, iban: str, *, name: str | None, email: str | None
) -> Charge:
    check_open(session)
    iban = normalise(iban).upper()
    if iban not in charges.TEST_IBANS:
        raise CardInputError(
            "iban", "invalid_bank_account_iban", "Use a test IBAN: " + ", ".join(charges.TEST_IBANS)
        )
    checkout_invoices.ensure_customer(store, session, email=email, name=name)
    intent = _intent_for(store, session)
    email = email or session.customer_email or known_email(store, session)
    charge = charges.attempt_bank_debit(store, intent, iban, name=name, email=email)
    _complete(store, session, name=name, email=email, payment_status="unpaid")
    return charge


def _complete(
    store: Store, session: CheckoutSession, *, name: str | None, email: str | None, payment_status: str
) -> None:
    _set_status(store, session, "complete")
    session.payment_status = payment_status
    session.customer_name = name
    session.paid_email = email or session.customer_email
    if payment_status == "paid":
        checkout_invoices.make_invoice(store, session)
    store.emit("checkout.session.completed", render_session(store, session))


def settle_bank_debit(store: Store, charge_id: str) -> None:
    charge = store.charges.get(charge_id)
    if charge is None or charge.status != "pending":
        return
    succeeded = charges.settle_bank_debit(store, charge)
    found = store.sessions.where("payment_intent", charge.payment_intent)
    for session in found:
        if succeeded:
            session.payment_status = "paid"
            checkout_invoices.make_invoice(store, session)
            store.emit("checkout.session.async_payment_succeeded", render_session(store, session))
        else:
            store.emit("checkout.session.async_payment_failed", render_session(store, session))


# Expiring ----------------------------------------------------------------------------------------


def _set_status(store: Store, session: CheckoutSession, status: str) -> None:
    old = session.status
    session.status = status
    store.sessions.reindex(session, "status", old)


def expire(store: Store, session: CheckoutSession) -> None:
    _set_status(store, session, "expired")
    if session.payment_intent is not None:
        intent = store.payment_intents.get(session.payment_intent)
        if intent is not None and intent.status == "requires_payment_method":
            intents.cancel(store, intent, "abandoned")
    store.emit("checkout.session.expired", render_session(store, session))


def expire_due(store: Store, session_id: str) -> None:
    session = store.sessions.get(session_id)
    if session is not None and session.status == "open" and session.expires_at <= store.now():
        expire(store, session)


# Rendering ---------------------------------------------------------------------------------------


def render_line_item(store: Store, session: CheckoutSession, item: LineItem) -> Json:
    return {
        "id": item.id,
        "object": "item",
        "adjustable_quantity": None,
        "amount_discount": 0,
        "amount_subtotal": item.amount,
        "amount_tax": 0,
        "amount_total": item.amount,
        "currency": session.currency,
        "description": item.description,
        "metadata": {},
        "price": {
            "id": item.price_id,
            "object": "price",
            "active": False,
            "billing_scheme": "per_unit",
            "created": item.created,
            "currency": session.currency,
            "custom_unit_amount": None,
            "livemode": False,
            "lookup_key": None,
            "metadata": {},
            "nickname": None,
            "product": item.product_id,
            "recurring": None,
            "tax_behavior": "unspecified",
            "tiers_mode": None,
            "transform_quantity": None,
            "type": "one_time",
            "unit_amount": item.unit_amount,
            "unit_amount_decimal": str(item.unit_amount),
        },
        "quantity": item.quantity,
    }


def render_session(store: Store, session: CheckoutSession) -> Json:
    completed = session.status == "complete"
    paid_email = known_email(store, session) or session.paid_email or session.customer_email
    return {
        "id": session.id,
        "object": "checkout.session",
        "adaptive_pricing": {"enabled": False},
        "after_expiration": None,
        "allow_promotion_codes": None,
        "amount_subtotal": session.amount_total,
        "amount_total": session.amount_total,
        "automatic_tax": {"enabled": False, "liability": None, "provider": None, "status": None},
        "billing_address_collection": None,
        "cancel_url": session.cancel_url,
        "client_reference_id": session.client_reference_id,
        "client_secret": None,
        "collected_information": None,
        "consent": None,
        "consent_collection": None,
        "created": session.created,
        "currency": session.currency,
        "currency_conversion": None,
        "custom_fields": [],
        "custom_text": {
            "after_submit": None,
            "shipping_address": None,
            "submit": None,
            "terms_of_service_acceptance": None,
        },
        "customer": session.customer if session.customer_given or completed else None,
        "customer_account": None,
        "customer_creation": "if_required",
        "customer_details": (
            {
                "address": {
                    "city": None,
                    "country": "US",
                    "line1": None,
                    "line2": None,
                    "postal_code": None,
                    "state": None,
                },
                "business_name": None,
                "email": paid_email,
                "individual_name": None,
                "name": session.customer_name,
                "phone": None,
                "tax_exempt": "none",
                "tax_ids": [],
            }
            if completed
            else None
        ),
        "customer_email": session.customer_email,
        "discounts": [],
        "expires_at": session.expires_at,
        "integration_identifier": None,
        "invoice": session.invoice,
        "invoice_creation": checkout_invoices.render_invoice_creation(session),
        "livemode": False,
        "locale": session.locale,
        "managed_payments": None,
        "metadata": dict(session.metadata),
        "mode": "payment",
        "origin_context": None,
        "payment_intent": session.payment_intent,
        "payment_link": None,
        "payment_method_collection": "if_required",
        "payment_method_configuration_details": None,
        "payment_method_options": {"card": {"request_three_d_secure": "automatic"}},
        "payment_method_types": list(session.payment_method_types),
        "payment_status": session.payment_status,
        "permissions": None,
        "phone_number_collection": {"enabled": False},
        "recovered_from": None,
        "saved_payment_method_options": None,
        "setup_intent": None,
        "shipping_address_collection": None,
        "shipping_cost": None,
        "shipping_options": [],
        "status": session.status,
        "submit_type": session.submit_type,
        "subscription": None,
        "success_url": session.success_url,
        "total_details": {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
        "ui_mode": "hosted_page",
        # From the server's current address, so a restart on another port keeps links working.
        "url": f"{store.public_url}/c/pay/{session.id}" if session.status == "open" else None,
        "wallet_options": None,
    }


# API ---------------------------------------------------------------------------------------------


def get_session(store: Store, identifier: str) -> CheckoutSession:
    session = store.sessions.get(identifier)
    if session is None:
        raise no_such("checkout.session", identifier)
    return session


def retrieve_session(call: Call) -> Json:
    call.params.finish()
    return render_session(call.store, get_session(call.store, call.ids["id"]))


def expire_session(call: Call) -> Json:
    call.params.finish()
    session = get_session(call.store, call.ids["id"])
    if session.status != "open":
        raise invalid(
            f'Only Checkout Sessions with a status in ["open"] can be expired. '
            f"This Checkout Session has a status of {session.status}.",
        )
    expire(call.store, session)
    return render_session(call.store, session)


def list_sessions(call: Call) -> Json:
    params = call.params
    equal = {
        "payment_intent": params.string("payment_intent"),
        "status": params.string("status", choices=("open", "complete", "expired")),
        "client_reference_id": params.string("client_reference_id"),
    }
    return list_page(call, call.store.sessions, render_session, url="/v1/checkout/sessions", equal=equal)


def list_line_items(call: Call) -> Json:
    session = get_session(call.store, call.ids["id"])
    limit = call.params.integer("limit", minimum=1, maximum=100) or 10
    starting_after = call.params.string("starting_after")
    call.params.string("ending_before")
    call.params.finish()
    items = session.line_items
    if starting_after is not None:
        ids = [item.id for item in items]
        if starting_after not in ids:
            raise no_such("item", starting_after, param="starting_after")
        items = items[ids.index(starting_after) + 1 :]
    return list_object(
        f"/v1/checkout/sessions/{session.id}/line_items",
        [render_line_item(call.store, session, item) for item in items[:limit]],
        len(items) > limit,
    )


ROUTES = [
    route("GET", "/v1/checkout/sessions", list_sessions),
    route("POST", "/v1/checkout/sessions", create_session),
    route("GET", "/v1/checkout/sessions/{id}", retrieve_session),
    route("POST", "/v1/checkout/sessions/{id}/expire", expire_session),
    route("GET", "/v1/checkout/sessions/{id}/line_items", list_line_items),
]

"""The payment intent and charge API: create (and confirm with a `pm_card_*` test payment
method), confirm, cancel, retrieve, update and list payment intents; retrieve, update and list
charges."""

from __future__ import annotations

import time

from stripe_local.api import Call, Json, list_page, route
from stripe_local.cards import TEST_PAYMENT_METHODS, KnownCard, lookup
from stripe_local.errors import ApiError, invalid
from stripe_local.models import PaymentIntent
from stripe_local.params import merge_metadata
from stripe_local.resources.charges import attempt_card, get_charge, render_charge, render_payment_method
from stripe_local.resources.intents import (
    cancel,
    check_amount,
    get_intent,
    new_payment_intent,
    read_terms,
    render_intent,
    set_status,
)
from stripe_local.store import Store


def _test_card(payment_method: str, param: str) -> KnownCard:
    number = TEST_PAYMENT_METHODS.get(payment_method)
    if number is None:
        raise ApiError(
            400,
            f"No such PaymentMethod: '{payment_method}'. The local Stripe server knows the test payment "
            f"methods {', '.join(sorted(TEST_PAYMENT_METHODS))}.",
            param=param,
            code="resource_missing",
        )
    return lookup(number)


def _confirm(store: Store, intent: PaymentIntent, payment_method: str) -> None:
    card = _test_card(payment_method, "payment_method")
    year = time.gmtime(store.now()).tm_year + 3
    charge = attempt_card(store, intent, card, exp_month=12, exp_year=year)
    if not charge.paid:
        error = intent.last_payment_error or {}
        raise ApiError(
            402,
            str(error.get("message")),
            type="card_error",
            code=error.get("code"),
            decline_code=error.get("decline_code"),
            extra={
                "charge": charge.id,
                "payment_intent": render_intent(store, intent),
                "payment_method": render_payment_method(charge),
            },
        )


def create_intent(call: Call) -> Json:
    store, params = call.store, call.params
    amount = params.need_integer("amount", minimum=1)
    currency = params.need_string("currency").lower()
    check_amount(amount, currency, "amount")
    terms = read_terms(params, amount=amount)
    payment_method = params.string("payment_method")
    confirm = params.boolean("confirm") or False
    types = params.string_list("payment_method_types") or ["card"]
    automatic = params.nested("automatic_payment_methods")
    if automatic is not None:
        automatic.boolean("enabled")
        automatic.string("allow_redirects", choices=("always", "never"))
        automatic.finish()
    params.string("return_url")
    params.finish()
    if types != ["card"]:
        raise invalid(
            "The local Stripe server takes only payment_method_types[]=card.", param="payment_method_types"
        )
    if confirm and payment_method is None:
        raise invalid(
            "You must provide a payment_method to confirm this PaymentIntent.", param="payment_method"
        )
    intent = new_payment_intent(
        store, amount=amount, currency=currency, terms=terms, payment_method_types=types
    )
    if payment_method is not None:
        _test_card(payment_method, "payment_method")
        set_status(store, intent, "requires_confirmation")
        if confirm:
            _confirm(store, intent, payment_method)
    return render_intent(store, intent)


def confirm_intent(call: Call) -> Json:
    store, params = call.store, call.params
    intent = get_intent(store, call.ids["id"])
    payment_method = params.need_string("payment_method")
    params.string("return_url")
    params.finish()
    if intent.checkout_session is not None:
        raise invalid("This PaymentIntent is managed by a Checkout Session: pay through the session instead.")
    if intent.status not in ("requires_payment_method", "requires_confirmation"):
        raise invalid(
            f"You cannot confirm this PaymentIntent because it has a status of {intent.status}.",
            code="payment_intent_unexpected_state",
        )
    _confirm(store, intent, payment_method)
    return render_intent(store, intent)


def cancel_intent(call: Call) -> Json:
    store, params = call.store, call.params
    intent = get_intent(store, call.ids["id"])
    reason = params.string(
        "cancellation_reason", choices=("abandoned", "duplicate", "fraudulent", "requested_by_customer")
    )
    params.finish()
    if intent.checkout_session is not None:
        raise invalid(
            "You cannot cancel this PaymentIntent because it was created by Checkout. "
            "Expire the Checkout Session instead.",
            code="payment_intent_unexpected_state",
        )
    if intent.status not in ("requires_payment_method", "requires_confirmation", "requires_action"):
        raise invalid(
            f"You cannot cancel this PaymentIntent because it has a status of {intent.status}.",
            code="payment_intent_unexpected_state",
        )
    cancel(store, intent, reason)
    return render_intent(store, intent)


def retrieve_intent(call: Call) -> Json:
    call.params.finish()
    return render_intent(call.store, get_intent(call.store, call.ids["id"]))


def update_intent(call: Call) -> Json:
    intent = get_intent(call.store, call.ids["id"])
    metadata = call.params.metadata()
    description = call.params.string("description")
    call.params.finish()
    if metadata is not None:
        intent.terms.metadata = merge_metadata(intent.terms.metadata, metadata)
    if description is not None:
        intent.terms.description = description
    return render_intent(call.store, intent)


def list_intents(call: Call) -> Json:
    return list_page(call, call.store.payment_intents, render_intent, url="/v1/payment_intents")


def retrieve_charge(call: Call) -> Json:
    call.params.finish()
    return render_charge(call.store, get_charge(call.store, call.ids["id"]))


def update_charge(call: Call) -> Json:
    charge = get_charge(call.store, call.ids["id"])
    metadata = call.params.metadata()
    call.params.finish()
    if metadata is not None:
        charge.terms.metadata = merge_metadata(charge.terms.metadata, metadata)
    return render_charge(call.store, charge)


def list_charges(call: Call) -> Json:
    intent = call.params.string("payment_intent")
    return list_page(
        call, call.store.charges, render_charge, url="/v1/charges", equal={"payment_intent": intent}
    )


ROUTES = [
    route("GET", "/v1/payment_intents", list_intents),
    route("POST", "/v1/payment_intents", create_intent),
    route("GET", "/v1/payment_intents/{id}", retrieve_intent),
    route("POST", "/v1/payment_intents/{id}", update_intent),
    route("POST", "/v1/payment_intents/{id}/confirm", confirm_intent),
    route("POST", "/v1/payment_intents/{id}/cancel", cancel_intent),
    route("GET", "/v1/charges", list_charges),
    route("GET", "/v1/charges/{id}", retrieve_charge),
    route("POST", "/v1/charges/{id}", update_charge),
]

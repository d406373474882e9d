"""Payment intents and charges: one attempt to pay with a test card makes a charge that
succeeds (with its balance transaction, and for a destination charge its transfer and
application fee) or is declined.

The fee on a charge's balance transaction is 2.9 % + 30 minor units (see `money.processing_fee`);
its funds become available two days later on the server's clock, or at once for 4000 0000 0000
0077. Test IBANs (checkout only) pay later: the charge is pending for three minutes of the
server's clock, then succeeds or fails.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import replace
from typing import Any

from stripe_local.api import Call, Json, list_object, list_page, route
from stripe_local.cards import (
    TEST_PAYMENT_METHODS,
    KnownCard,
    card_details,
    decline,
    lookup,
)
from stripe_local.errors import DOCS, ApiError, invalid, no_such
from stripe_local.ids import new_id
from stripe_local.models import Card, Charge, ChargeTerms, PaymentIntent
from stripe_local.money import minimum_charge, processing_fee
from stripe_local.params import Params, exclusive, merge_metadata, new_metadata
from stripe_local.resources.balance import AVAILABLE_AFTER, add_transaction
from stripe_local.resources.connect import check_destination, collect_fee, make_transfer
from stripe_local.store import Store

BANK_DEBIT_DELAY = 180
TEST_IBANS = {"DE89370400440532013000": True, "DE62370400440532013001": False}


# Reading the charge terms -----------------------------------------------------------------------


def read_terms(params: Params, *, amount: int | None) -> ChargeTerms:
    """The parameters a payment intent and a checkout session's `payment_intent_data` share."""
    terms = ChargeTerms(
        description=params.string("description", max_length=1000),
        metadata=new_metadata(params),
        transfer_group=params.string("transfer_group"),
        receipt_email=params.string("receipt_email"),
        statement_descriptor_suffix=params.string("statement_descriptor_suffix", max_length=22),
    )
    on_behalf_of = params.string("on_behalf_of")
    if on_behalf_of is not None:
        terms.on_behalf_of = check_destination(on_behalf_of, params.name("on_behalf_of"))
    params.string("capture_method", choices=("automatic", "automatic_async"))
    transfer_data = params.nested("transfer_data")
    if transfer_data is not None:
        destination = transfer_data.need_string("destination")
        terms.transfer_destination = check_destination(destination, transfer_data.name("destination"))
        terms.transfer_amount = transfer_data.integer("amount", minimum=1)
        transfer_data.finish()
        if terms.transfer_amount is not None:
            exclusive(params, "application_fee_amount", "transfer_data")
    terms.application_fee_amount = params.integer("application_fee_amount", minimum=0)
    if terms.application_fee_amount is not None and terms.transfer_destination is None:
        raise invalid(
            "Can only apply an application_fee_amount when the PaymentIntent is attempting a direct payment "
            "(using an OAuth key or Stripe-Account header) or destination payment (using "
            "`transfer_data[destination]`).",
            param=params.name("application_fee_amount"),
        )
    if amount is not None:
        check_terms_amount(params, terms, amount)
    return terms


def check_terms_amount(params: Params, terms: ChargeTerms, amount: int) -> None:
    if terms.application_fee_amount is not None and terms.application_fee_amount > amount:
        raise invalid(
            "The application fee amount must be less than or equal to the amount of the payment.",
            param=params.name("application_fee_amount"),
        )
    if terms.transfer_amount is not None and terms.transfer_amount > amount:
        raise invalid(
            "The transfer amount must be less than or equal to the amount of the payment.",
            param=f"{params.name('transfer_data')}[amount]",
        )


def check_amount(amount: int, currency: str, param: str) -> None:
    if amount < minimum_charge(currency):
        raise invalid(
            f"Amount must be at least {minimum_charge(currency)} {currency} (minor units).",
            param=param,
            code="amount_too_small",
        )


# Payment intents ---------------------------------------------------------------------------------


def new_payment_intent(
    store: Store,
    *,
    amount: int,
    currency: str,
    terms: ChargeTerms,
    payment_method_types: list[str],
    checkout_session: str | None = None,
) -> PaymentIntent:
    intent_id = new_id("pi_")
    intent = PaymentIntent(
        id=intent_id,
        created=store.now(),
        amount=amount,
        currency=currency,
        terms=terms,
        client_secret=f"{intent_id}_secret_{new_id('', 25)}",
        payment_method_types=payment_method_types,
        checkout_session=checkout_session,
    )
    store.payment_intents.add(intent)
    store.emit("payment_intent.created", render_intent(store, intent))
    return intent


def charge_terms(intent: PaymentIntent) -> ChargeTerms:
    """A charge starts with its intent's description and metadata, then keeps its own."""
    return replace(intent.terms, metadata=dict(intent.terms.metadata))


def set_status(store: Store, intent: PaymentIntent, status: str) -> None:
    old = intent.status
    intent.status = status
    store.payment_intents.reindex(intent, "status", old)


def attempt_card(
    store: Store,
    intent: PaymentIntent,
    card: KnownCard,
    *,
    exp_month: int,
    exp_year: int,
    name: str | None = None,
    email: str | None = None,
) -> Charge:
    """Charge `card` for the intent. A decline leaves the intent awaiting another payment method;
    `/_control/decline` forces the next attempts to decline whatever the card."""
    decline_code = card.decline_code
    if store.declines:
        forced = store.declines[0]
        forced.times -= 1
        if forced.times <= 0:
            store.declines.pop(0)
        decline_code = forced.decline_code
    charge = Charge(
        id=new_id("ch_"),
        created=store.now(),
        amount=intent.amount,
        currency=intent.currency,
        status="failed" if decline_code else "succeeded",
        card=card_details(card, exp_month, exp_year),
        payment_method=new_id("pm_"),
        payment_intent=intent.id,
        terms=charge_terms(intent),
        billing_name=name,
        billing_email=email,
        refund_failure=card.refund_failure,
    )
    store.charges.add(charge)
    intent.latest_charge = charge.id
    if decline_code:
        _decline(store, intent, charge, decline_code)
    else:
        _succeed(store, intent, charge, available_at_once=card.available_at_once)
    return charge


def attempt_bank_debit(
    store: Store, intent: PaymentIntent, iban: str, *, name: str | None, email: str | None
) -> Charge:
    """A SEPA-like debit from a test IBAN: pending now, settled by `settle_bank_debit` later."""
    charge = Charge(
        id=new_id("ch_"),
        created=store.now(),
        amount=intent.amount,
        currency=intent.currency,
        status="pending",
        card=None,
        bank_last4=iban[-4:],
        payment_method=new_id("pm_"),
        payment_intent=intent.id,
        terms=charge_terms(intent),
        billing_name=name,
        billing_email=email,
        decline_code=None if TEST_IBANS.get(iban, False) else "insufficient_funds",
    )
    store.charges.add(charge)
    intent.latest_charge = charge.id
    intent.payment_method = charge.payment_method
    set_status(store, intent, "processing")
    store.schedule(store.now() + BANK_DEBIT_DELAY, "bank_debit_settles", charge.id)
    store.emit("charge.pending", render_charge(store, charge))
    store.emit("payment_intent.processing", render_intent(store, intent))
    return charge


def settle_bank_debit(store: Store, charge: Charge) -> bool:
    """Settle a pending bank debit; True when it succeeded."""
    intent = store.payment_intents.must(charge.payment_intent or "")
    if charge.decline_code is None:
        charge.status = "succeeded"
        _succeed(store, intent, charge, available_at_once=False)
        return True
    charge.status = "failed"
    charge.failure_code = "insufficient_funds"
    charge.failure_message = "The customer's account has insufficient funds to cover this payment."
    intent.last_payment_error = {
        "charge": charge.id,
        "code": "insufficient_funds",
        "message": charge.failure_message,
        "type": "card_error",
    }
    intent.payment_method = None
    set_status(store, intent, "requires_payment_method")
    store.emit("charge.failed", render_charge(store, charge))
    store.emit("payment_intent.payment_failed", render_intent(store, intent))
    return False


def _decline(store: Store, intent: PaymentIntent, charge: Charge, decline_code: str) -> None:
    outcome = decline(decline_code)
    charge.decline_code = decline_code
    charge.failure_code = outcome.code
    charge.failure_message = outcome.message
    intent.last_payment_error = {
        "charge": charge.id,
        "code": outcome.code,
        "decline_code": decline_code,
        "doc_url": f"{DOCS}#{outcome.code.replace('_', '-')}",
        "message": outcome.message,
        "payment_method": render_payment_method(charge),
        "type": "card_error",
    }
    intent.payment_method = None
    set_status(store, intent, "requires_payment_method")
    store.emit("charge.failed", render_charge(store, charge))
    store.emit("payment_intent.payment_failed", render_intent(store, intent))


def _succeed(store: Store, intent: PaymentIntent, charge: Charge, *, available_at_once: bool) -> None:
    now = store.now()
    available_on = now if available_at_once else now + AVAILABLE_AFTER
    charge.balance_transaction = add_transaction(
        store,
        amount=charge.amount,
        fee=processing_fee(charge.amount),
        currency=charge.currency,
        type="charge",
        reporting_category="charge",
        source=charge.id,
        description=charge.terms.description,
        available_on=available_on,
    ).id
    terms = charge.terms
    if terms.transfer_destination is not None:
        transfer = make_transfer(
            store,
            amount=terms.transfer_amount if terms.transfer_amount is not None else charge.amount,
            currency=charge.currency,
            destination=terms.transfer_destination,
            metadata={},
            source_transaction=charge.id,
            transfer_group=terms.transfer_group,
            available_on=available_on,
        )
        charge.transfer = transfer.id
        if terms.application_fee_amount:
            fee = collect_fee(
                store,
                charge,
                amount=terms.application_fee_amount,
                account=terms.transfer_destination,
                available_on=available_on,
            )
            charge.application_fee = fee.id
    intent.last_payment_error = None
    intent.payment_method = charge.payment_method
    intent.amount_received = charge.amount
    set_status(store, intent, "succeeded")
    store.emit("charge.succeeded", render_charge(store, charge))
    store.emit("payment_intent.succeeded", render_intent(store, intent))


def cancel(store: Store, intent: PaymentIntent, reason: str | None) -> None:
    intent.canceled_at = store.now()
    intent.cancellation_reason = reason
    set_status(store, intent, "canceled")
    store.emit("payment_intent.canceled", render_intent(store, intent))


# Rendering ---------------------------------------------------------------------------------------


def render_intent(store: Store, intent: PaymentIntent) -> Json:
    terms = intent.terms
    return {
        "id": intent.id,
        "object": "payment_intent",
        "amount": intent.amount,
        "amount_capturable": 0,
        "amount_details": {"tip": {}},
        "amount_received": intent.amount_received,
        "application": None,
        "application_fee_amount": terms.application_fee_amount,
        "automatic_payment_methods": None,
        "canceled_at": intent.canceled_at,
        "cancellation_reason": intent.cancellation_reason,
        "capture_method": "automatic",
        "client_secret": intent.client_secret,
        "confirmation_method": "automatic",
        "created": intent.created,
        "currency": intent.currency,
        "customer": None,
        "customer_account": None,
        "description": terms.description,
        "excluded_payment_method_types": None,
        "last_payment_error": intent.last_payment_error,
        "latest_charge": intent.latest_charge,
        "livemode": False,
        "managed_payments": None,
        "metadata": dict(terms.metadata),
        "next_action": None,
        "on_behalf_of": terms.on_behalf_of,
        "payment_method": intent.payment_method,
        "payment_method_configuration_details": None,
        "payment_method_options": {
            "card": {
                "installments": None,
                "mandate_options": None,
                "network": None,
                "request_three_d_secure": "automatic",
            }
        },
        "payment_method_types": list(intent.payment_method_types),
        "processing": None,
        "receipt_email": terms.receipt_email,
        "review": None,
        "setup_future_usage": None,
        "shipping": None,
        "source": None,
        "statement_descriptor": None,
        "statement_descriptor_suffix": terms.statement_descriptor_suffix,
        "status": intent.status,
        "transfer_data": _transfer_data(terms),
        "transfer_group": terms.transfer_group,
    }


def _transfer_data(terms: ChargeTerms) -> Json | None:
    if terms.transfer_destination is None:
        return None
    return {"amount": terms.transfer_amount, "destination": terms.transfer_destination}


def _address() -> Json:
    return {"city": None, "country": None, "line1": None, "line2": None, "postal_code": None, "state": None}


def _card_details(charge: Charge, card: Card) -> Json:
    return {
        "amount_authorized": charge.amount if charge.paid else None,
        "authorization_code": None,
        "brand": card.brand,
        "checks": {"address_line1_check": None, "address_postal_code_check": None, "cvc_check": "pass"},
        "country": card.country,
        "exp_month": card.exp_month,
        "exp_year": card.exp_year,
        "extended_authorization": {"status": "disabled"},
        "fingerprint": card.fingerprint,
        "funding": card.funding,
        "incremental_authorization": {"status": "unavailable"},
        "installments": None,
        "last4": card.last4,
        "mandate": None,
        "multicapture": {"status": "unavailable"},
        "network": card.brand,
        "network_token": {"used": False},
        "network_transaction_id": None,
        "overcapture": {"maximum_amount_capturable": charge.amount, "status": "unavailable"},
        "regulated_status": "unregulated",
        "three_d_secure": None,
        "transaction_link_id": None,
        "wallet": None,
    }


def _payment_method_details(charge: Charge) -> Json:
    if charge.card is not None:
        return {"card": _card_details(charge, charge.card), "type": "card"}
    return {
        "sepa_debit": {
            "bank_code": "37040044",
            "branch_code": None,
            "country": "DE",
            "fingerprint": hashlib.sha256((charge.bank_last4 or "").encode()).hexdigest()[:16],
            "last4": charge.bank_last4,
            "mandate": None,
        },
        "type": "sepa_debit",
    }


def _outcome(charge: Charge) -> Json:
    if charge.status != "failed":
        return {
            "advice_code": None,
            "network_advice_code": None,
            "network_decline_code": None,
            "network_status": "approved_by_network",
            "reason": None,
            "risk_level": "normal",
            "risk_score": 32,
            "seller_message": "Payment complete.",
            "type": "authorized",
        }
    live_card = charge.decline_code == "test_mode_live_card"
    return {
        "advice_code": None,
        "network_advice_code": None,
        "network_decline_code": None,
        "network_status": "not_sent_to_network" if live_card else "declined_by_network",
        "reason": charge.decline_code,
        "risk_level": "normal",
        "risk_score": 32,
        "seller_message": "The bank did not return any further details with this decline.",
        "type": "invalid" if live_card else "issuer_declined",
    }


def render_charge(store: Store, charge: Charge) -> Json:
    from stripe_local.resources.refunds import render_refund

    refunds, has_more = store.refunds.page(equal={"charge": charge.id}, limit=10)
    terms = charge.terms
    return {
        "id": charge.id,
        "object": "charge",
        "amount": charge.amount,
        "amount_captured": charge.amount if charge.paid else 0,
        "amount_refunded": charge.amount_refunded,
        "application": None,
        "application_fee": charge.application_fee,
        "application_fee_amount": terms.application_fee_amount if charge.paid else None,
        "balance_transaction": charge.balance_transaction,
        "billing_details": {
            "address": _address(),
            "email": charge.billing_email,
            "name": charge.billing_name,
            "phone": None,
            "tax_id": None,
        },
        "calculated_statement_descriptor": "LOCAL STRIPE",
        "captured": charge.paid,
        "created": charge.created,
        "currency": charge.currency,
        "customer": None,
        "description": terms.description,
        "disputed": False,
        "failure_balance_transaction": None,
        "failure_code": charge.failure_code,
        "failure_message": charge.failure_message,
        "fraud_details": {},
        "livemode": False,
        "metadata": dict(terms.metadata),
        "on_behalf_of": terms.on_behalf_of,
        "outcome": _outcome(charge) if charge.status != "pending" else None,
        "paid": charge.paid,
        "payment_intent": charge.payment_intent,
        "payment_method": charge.payment_method,
        "payment_method_details": _payment_method_details(charge),
        "receipt_email": terms.receipt_email,
        "receipt_number": None,
        "receipt_url": None,
        "refunded": charge.amount_refunded >= charge.amount,
        "refunds": list_object(
            f"/v1/charges/{charge.id}/refunds", [render_refund(store, r) for r in refunds], has_more
        ),
        "review": None,
        "shipping": None,
        "source": None,
        "source_transfer": None,
        "statement_descriptor": None,
        "statement_descriptor_suffix": terms.statement_descriptor_suffix,
        "status": charge.status,
        "transfer": charge.transfer,
        "transfer_data": _transfer_data(terms),
        "transfer_group": terms.transfer_group,
    }


def render_payment_method(charge: Charge) -> Json:
    card: Any = None
    if charge.card is not None:
        card = {
            "brand": charge.card.brand,
            "country": charge.card.country,
            "exp_month": charge.card.exp_month,
            "exp_year": charge.card.exp_year,
            "fingerprint": charge.card.fingerprint,
            "funding": charge.card.funding,
            "last4": charge.card.last4,
        }
    return {
        "id": charge.payment_method,
        "object": "payment_method",
        "billing_details": {
            "address": _address(),
            "email": charge.billing_email,
            "name": charge.billing_name,
            "phone": None,
            "tax_id": None,
        },
        "card": card,
        "created": charge.created,
        "customer": None,
        "livemode": False,
        "metadata": {},
        "type": "card" if charge.card is not None else "sepa_debit",
    }


# API ---------------------------------------------------------------------------------------------


def get_intent(store: Store, intent_id: str, param: str = "id") -> PaymentIntent:
    intent = store.payment_intents.get(intent_id)
    if intent is None:
        raise no_such("payment_intent", intent_id, param=param)
    return intent


def get_charge(store: Store, charge_id: str, param: str = "id") -> Charge:
    charge = store.charges.get(charge_id)
    if charge is None:
        raise no_such("charge", charge_id, param=param)
    return charge


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

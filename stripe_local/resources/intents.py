"""Payment intents: what a payment will be (amount, currency, description, metadata, Connect
routing), from `POST /v1/payment_intents` or made by a checkout session at its first payment
attempt. The attempts themselves, and the charges they make, are in `charges.py`."""

from __future__ import annotations

from stripe_local.api import Json
from stripe_local.errors import invalid, no_such
from stripe_local.ids import new_id
from stripe_local.models import ChargeTerms, PaymentIntent
from stripe_local.money import minimum_charge
from stripe_local.params import Params, exclusive, new_metadata
from stripe_local.resources.connect import check_destination
from stripe_local.store import Store


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


def set_status(store: Store, intent: PaymentIntent, status: str) -> None:
    old = intent.status
    intent.status = status
    store.payment_intents.reindex(intent, "status", old)


def cancel(store: Store, intent: PaymentIntent, reason: str | None) -> None:
    intent.canceled_at = store.now()
    intent.cancellation_reason = reason
    set_status(store, intent, "canceled")
    store.emit("payment_intent.canceled", render_intent(store, intent))


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
        "customer": terms.customer,
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
        "transfer_data": transfer_data(terms),
        "transfer_group": terms.transfer_group,
    }


def transfer_data(terms: ChargeTerms) -> Json | None:
    if terms.transfer_destination is None:
        return None
    return {"amount": terms.transfer_amount, "destination": terms.transfer_destination}


def get_intent(store: Store, intent_id: str, param: str = "id") -> PaymentIntent:
    intent = store.payment_intents.get(intent_id)
    if intent is None:
        raise no_such("payment_intent", intent_id, param=param)
    return intent

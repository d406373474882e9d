"""Charges: one attempt to pay a payment intent with a test card succeeds (with its balance
transaction, and for a destination charge its transfer and application fee) or is declined.

The fee on a charge's balance transaction is 2.9 % + 30 minor units (see `money.processing_fee`);
its funds become available two days later on the server's clock, or at once for 4000 0000 0000
0077. Test IBANs (checkout only) pay later: the charge is pending for three minutes of the
server's clock, then succeeds or fails.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from typing import Any

from stripe_local.api import Json, list_object
from stripe_local.cards import KnownCard, card_details, decline
from stripe_local.errors import DOCS, no_such
from stripe_local.ids import new_id
from stripe_local.models import Card, Charge, ChargeTerms, PaymentIntent
from stripe_local.money import processing_fee
from stripe_local.resources.balance import AVAILABLE_AFTER, add_transaction
from stripe_local.resources.connect import collect_fee, make_transfer
from stripe_local.resources.intents import render_intent, set_status, transfer_data
from stripe_local.store import Store

BANK_DEBIT_DELAY = 180
TEST_IBANS = {"DE89370400440532013000": True, "DE62370400440532013001": False}


def charge_terms(intent: PaymentIntent) -> ChargeTerms:
    """A charge starts with its intent's description and metadata, then keeps its own."""
    return replace(intent.terms, metadata=dict(intent.terms.metadata))


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
    from stripe_local.resources.refunds import render_refund  # refunds imports this module

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
        "customer": terms.customer,
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
        "transfer_data": transfer_data(terms),
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


def get_charge(store: Store, charge_id: str, param: str = "id") -> Charge:
    charge = store.charges.get(charge_id)
    if charge is None:
        raise no_such("charge", charge_id, param=param)
    return charge

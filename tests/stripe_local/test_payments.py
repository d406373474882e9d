"""Payment intents, charges and their balance transactions: the fee is 2.9 % (rounded half up)
plus 30 minor units, and the money is available two days later on the server's clock."""

from __future__ import annotations

import pytest
import stripe

from stripe_local.money import processing_fee
from tests.stripe_local.support import create_session, paid_charge

DAY = 86_400


@pytest.mark.parametrize(
    ("amount", "fee"),
    [
        (50, 31),  # 1.45 → 1
        (500, 45),  # 14.5 → 15 (half up)
        (1000, 59),  # 29
        (1050, 60),  # 30.45 → 30
        (1724, 80),  # 49.996 → 50
        (4900, 172),  # 142.1 → 142
        (123456, 3610),  # 3580.224 → 3580
    ],
)
def test_fee_is_2_9_percent_half_up_plus_30(amount, fee):
    assert processing_fee(amount) == fee


def test_a_charge_has_a_pending_balance_transaction_with_the_fee(server, sdk, control):
    now = control.now()
    charge = paid_charge(server, sdk, 4900)
    txn = sdk.v1.balance_transactions.retrieve(charge.balance_transaction)
    assert (txn.type, txn.reporting_category, txn.source) == ("charge", "charge", charge.id)
    assert (txn.amount, txn.fee, txn.net, txn.currency) == (4900, 172, 4728, "usd")
    assert [(d.type, d.amount, d.currency) for d in txn.fee_details] == [("stripe_fee", 172, "usd")]
    assert txn.created == now
    assert txn.available_on == now + 2 * DAY
    assert txn.status == "pending"
    balance = sdk.v1.balance.retrieve()
    assert [(b.currency, b.amount) for b in balance.pending] == [("usd", 4728)]
    assert [(b.currency, b.amount) for b in balance.available] == [("usd", 0)]

    control.advance_clock(2 * DAY - 1)
    assert sdk.v1.balance_transactions.retrieve(txn.id).status == "pending"
    control.advance_clock(1)
    assert sdk.v1.balance_transactions.retrieve(txn.id).status == "available"
    balance = sdk.v1.balance.retrieve()
    assert [(b.currency, b.amount) for b in balance.available] == [("usd", 4728)]
    assert [(b.currency, b.amount) for b in balance.pending] == [("usd", 0)]


def test_the_bypass_pending_card_is_available_at_once(server, sdk):
    charge = paid_charge(server, sdk, 1000, card="4000000000000077")
    txn = sdk.v1.balance_transactions.retrieve(charge.balance_transaction)
    assert (txn.status, txn.available_on) == ("available", txn.created)


def test_a_payment_intent_confirmed_with_a_test_payment_method(sdk):
    intent = sdk.v1.payment_intents.create(
        params={
            "amount": 2500,
            "currency": "eur",
            "payment_method": "pm_card_visa",
            "confirm": True,
            "metadata": {"order": "9"},
        }
    )
    assert (intent.status, intent.amount_received, intent.currency) == ("succeeded", 2500, "eur")
    charge = sdk.v1.charges.retrieve(intent.latest_charge)
    assert (charge.amount, charge.currency, charge.payment_intent) == (2500, "eur", intent.id)
    assert charge.metadata.to_dict() == {"order": "9"}
    assert sdk.v1.balance_transactions.retrieve(charge.balance_transaction).fee == 103


def test_a_declined_confirmation_raises_a_card_error_with_the_intent(sdk):
    with pytest.raises(stripe.CardError) as raised:
        sdk.v1.payment_intents.create(
            params={
                "amount": 2500,
                "currency": "usd",
                "payment_method": "pm_card_chargeDeclinedInsufficientFunds",
                "confirm": True,
            }
        )
    error = raised.value
    assert (error.http_status, error.code) == (402, "card_declined")
    assert isinstance(error.json_body, dict)
    body = error.json_body["error"]
    assert body["decline_code"] == "insufficient_funds"
    assert body["payment_intent"]["status"] == "requires_payment_method"
    charge = sdk.v1.charges.retrieve(body["charge"])
    assert (charge.status, charge.failure_code) == ("failed", "card_declined")

    confirmed = sdk.v1.payment_intents.confirm(
        body["payment_intent"]["id"], params={"payment_method": "pm_card_visa"}
    )
    assert confirmed.status == "succeeded"


def test_a_payment_intent_can_be_cancelled_before_it_is_paid(sdk):
    intent = sdk.v1.payment_intents.create(params={"amount": 2500, "currency": "usd"})
    cancelled = sdk.v1.payment_intents.cancel(intent.id, params={"cancellation_reason": "abandoned"})
    assert (cancelled.status, cancelled.cancellation_reason) == ("canceled", "abandoned")
    with pytest.raises(stripe.InvalidRequestError) as raised:
        sdk.v1.payment_intents.confirm(intent.id, params={"payment_method": "pm_card_visa"})
    assert raised.value.code == "payment_intent_unexpected_state"


def test_a_checkout_payment_intent_cannot_be_confirmed_or_cancelled_directly(sdk, control):
    session = create_session(sdk)
    control.pay(session.id, "4000000000000002")
    intent_id = sdk.v1.checkout.sessions.retrieve(session.id).payment_intent
    with pytest.raises(stripe.InvalidRequestError):
        sdk.v1.payment_intents.cancel(intent_id)
    with pytest.raises(stripe.InvalidRequestError):
        sdk.v1.payment_intents.confirm(intent_id, params={"payment_method": "pm_card_visa"})


def test_expand_replaces_ids_by_objects(server, sdk):
    charge = paid_charge(server, sdk, 1000)
    intent = sdk.v1.payment_intents.retrieve(
        charge.payment_intent, params={"expand": ["latest_charge.balance_transaction"]}
    )
    assert isinstance(intent.latest_charge, stripe.Charge)
    assert isinstance(intent.latest_charge.balance_transaction, stripe.BalanceTransaction)
    assert intent.latest_charge.balance_transaction.fee == 59
    listed = sdk.v1.balance_transactions.list(params={"expand": ["data.source"]})
    assert isinstance(listed.data[0].source, stripe.Charge)
    with pytest.raises(stripe.InvalidRequestError):
        sdk.v1.charges.retrieve(charge.id, params={"expand": ["outcome"]})


def test_charges_list_by_payment_intent_and_retrieve_unknown_is_404(server, sdk):
    first = paid_charge(server, sdk, 1000)
    paid_charge(server, sdk, 2000)
    listed = sdk.v1.charges.list(params={"payment_intent": first.payment_intent})
    assert [c.id for c in listed.data] == [first.id]
    with pytest.raises(stripe.InvalidRequestError) as raised:
        sdk.v1.charges.retrieve("ch_missing")
    assert (raised.value.http_status, raised.value.code) == (404, "resource_missing")

"""Destination charges, transfers, reversals and application fees."""

from __future__ import annotations

import pytest
import stripe

from tests.stripe_local.support import create_session, paid_charge

UNIT = "acct_1NorthfieldNursing"


def test_a_destination_charge_transfers_the_amount_and_takes_the_application_fee(server, sdk, control):
    charge = paid_charge(
        server,
        sdk,
        10000,
        payment_intent_data={"transfer_data": {"destination": UNIT}, "application_fee_amount": 1200},
    )
    assert charge.transfer_data is not None
    assert (charge.transfer_data.destination, charge.application_fee_amount) == (UNIT, 1200)
    transfer = sdk.v1.transfers.retrieve(charge.transfer)
    assert (transfer.amount, transfer.destination, transfer.source_transaction) == (10000, UNIT, charge.id)
    fee = sdk.v1.application_fees.retrieve(charge.application_fee)
    assert (fee.amount, fee.account, fee.charge) == (1200, UNIT, charge.id)

    listed = sdk.v1.balance_transactions.list(params={"limit": 10}).data
    assert sorted((t.type, t.amount, t.fee) for t in listed) == [
        ("application_fee", 1200, 0),
        ("charge", 10000, 320),
        ("transfer", -10000, 0),
    ]
    assert sum(t.net for t in listed) == 1200 - 320
    assert control.accounts()[UNIT]["balance"] == {"usd": 10000 - 1200}


def test_transfer_data_amount_sends_that_amount_and_takes_no_fee_object(server, sdk):
    charge = paid_charge(
        server, sdk, 10000, payment_intent_data={"transfer_data": {"destination": UNIT, "amount": 8800}}
    )
    assert sdk.v1.transfers.retrieve(charge.transfer).amount == 8800
    assert charge.application_fee is None


def test_application_fee_and_transfer_amount_are_exclusive(sdk):
    with pytest.raises(stripe.InvalidRequestError) as raised:
        create_session(
            sdk,
            10000,
            payment_intent_data={
                "transfer_data": {"destination": UNIT, "amount": 100},
                "application_fee_amount": 1,
            },
        )
    assert raised.value.code == "parameters_exclusive"


def test_refund_with_reverse_transfer_and_fee_refund_is_pro_rata(server, sdk, control):
    charge = paid_charge(
        server,
        sdk,
        10000,
        payment_intent_data={"transfer_data": {"destination": UNIT}, "application_fee_amount": 1200},
    )
    refund = sdk.v1.refunds.create(
        params={"charge": charge.id, "amount": 2500, "reverse_transfer": True, "refund_application_fee": True}
    )
    reversal = sdk.v1.transfers.reversals.retrieve(charge.transfer, refund.transfer_reversal)
    assert (reversal.amount, reversal.source_refund) == (2500, refund.id)
    fee = sdk.v1.application_fees.retrieve(charge.application_fee)
    assert fee.amount_refunded == 300
    rest = sdk.v1.refunds.create(
        params={"charge": charge.id, "reverse_transfer": True, "refund_application_fee": True}
    )
    assert rest.amount == 7500
    transfer = sdk.v1.transfers.retrieve(charge.transfer)
    assert (transfer.amount_reversed, transfer.reversed) == (10000, True)
    assert sdk.v1.application_fees.retrieve(charge.application_fee).refunded is True
    assert control.accounts()[UNIT]["balance"] == {"usd": 0}


def test_a_transfer_needs_available_funds_unless_tied_to_a_charge(server, sdk):
    with pytest.raises(stripe.InvalidRequestError) as raised:
        sdk.v1.transfers.create(params={"amount": 500, "currency": "usd", "destination": UNIT})
    assert raised.value.code == "balance_insufficient"
    pending = paid_charge(server, sdk, 1000)
    tied = sdk.v1.transfers.create(
        params={"amount": 500, "currency": "usd", "destination": UNIT, "source_transaction": pending.id}
    )
    assert tied.source_transaction == pending.id
    paid_charge(server, sdk, 5000, card="4000000000000077")
    loose = sdk.v1.transfers.create(
        params={"amount": 2000, "currency": "usd", "destination": UNIT, "metadata": {"unit": "nursing"}}
    )
    txn = sdk.v1.balance_transactions.retrieve(loose.balance_transaction)
    assert (txn.type, txn.amount, txn.status) == ("transfer", -2000, "available")
    assert [t.id for t in sdk.v1.transfers.list(params={"destination": UNIT}).data] == [loose.id, tied.id]


def test_reversals_partial_then_the_rest_then_nothing(server, sdk):
    paid_charge(server, sdk, 5000, card="4000000000000077")
    transfer = sdk.v1.transfers.create(params={"amount": 3000, "currency": "usd", "destination": UNIT})
    first = sdk.v1.transfers.reversals.create(transfer.id, params={"amount": 1000})
    assert first.amount == 1000
    txn = sdk.v1.balance_transactions.retrieve(first.balance_transaction)
    assert (txn.type, txn.reporting_category, txn.amount) == ("transfer_refund", "transfer_reversal", 1000)
    with pytest.raises(stripe.InvalidRequestError) as raised:
        sdk.v1.transfers.reversals.create(transfer.id, params={"amount": 2001})
    assert raised.value.code == "amount_too_large"
    rest = sdk.v1.transfers.reversals.create(transfer.id)
    assert rest.amount == 2000
    listed = sdk.v1.transfers.reversals.list(transfer.id)
    assert [r.id for r in listed.data] == [rest.id, first.id]
    assert sdk.v1.transfers.retrieve(transfer.id).reversed is True
    with pytest.raises(stripe.InvalidRequestError):
        sdk.v1.transfers.reversals.create(transfer.id)

"""Refunds: partial, several per charge up to what was paid and no further, and refunds that
fail later."""

from __future__ import annotations

import pytest
import stripe

from tests.stripe_local.support import create_session, paid_charge


def test_several_partial_refunds_up_to_the_amount(server, sdk, control):
    charge = paid_charge(server, sdk, 4900)
    first = sdk.v1.refunds.create(
        params={
            "charge": charge.id,
            "amount": 1900,
            "reason": "requested_by_customer",
            "metadata": {"r": "1"},
        }
    )
    assert (first.status, first.amount, first.charge, first.reason) == (
        "succeeded",
        1900,
        charge.id,
        "requested_by_customer",
    )
    assert first.payment_intent == charge.payment_intent
    second = sdk.v1.refunds.create(params={"payment_intent": charge.payment_intent, "amount": 3000})
    assert second.amount == 3000
    refunded = sdk.v1.charges.retrieve(charge.id)
    assert (refunded.amount_refunded, refunded.refunded) == (4900, True)
    assert [r.id for r in refunded.refunds.data] == [second.id, first.id]
    txn = sdk.v1.balance_transactions.retrieve(first.balance_transaction)
    assert (txn.type, txn.amount, txn.fee, txn.net, txn.source) == ("refund", -1900, 0, -1900, first.id)
    assert control.refunds_of(charge.id) == 2


def test_refunding_more_than_is_left_is_refused_and_changes_nothing(server, sdk, control):
    charge = paid_charge(server, sdk, 4900)
    sdk.v1.refunds.create(params={"charge": charge.id, "amount": 4000})
    with pytest.raises(stripe.InvalidRequestError) as raised:
        sdk.v1.refunds.create(params={"charge": charge.id, "amount": 901})
    assert (raised.value.http_status, raised.value.code, raised.value.param) == (
        400,
        "amount_too_large",
        "amount",
    )
    assert "9.00 USD" in str(raised.value.user_message)
    assert sdk.v1.charges.retrieve(charge.id).amount_refunded == 4000
    assert control.refunds_of(charge.id) == 1


def test_a_whole_refund_by_default_then_nothing_more(server, sdk):
    charge = paid_charge(server, sdk, 4900)
    assert sdk.v1.refunds.create(params={"charge": charge.id}).amount == 4900
    with pytest.raises(stripe.InvalidRequestError) as raised:
        sdk.v1.refunds.create(params={"charge": charge.id, "amount": 1})
    assert raised.value.code == "charge_already_refunded"


def test_a_declined_charge_cannot_be_refunded(sdk, control):
    session = create_session(sdk)
    failed = control.pay(session.id, "4000000000000002")["charge"]["id"]
    with pytest.raises(stripe.InvalidRequestError):
        sdk.v1.refunds.create(params={"charge": failed})


def test_refund_events(server, sdk, receiver, control):
    charge = paid_charge(server, sdk, 4900)
    refund = sdk.v1.refunds.create(params={"charge": charge.id, "amount": 900})
    assert control.wait_for_webhooks()
    refunded = [e for e in receiver.events() if e["type"] == "charge.refunded"]
    assert [(e["data"]["object"]["id"], e["data"]["object"]["amount_refunded"]) for e in refunded] == [
        (charge.id, 900)
    ]
    created = [e for e in receiver.events() if e["type"] == "refund.created"]
    assert [e["data"]["object"]["id"] for e in created] == [refund.id]


def _check_failed(sdk, charge, refund):
    failed = sdk.v1.refunds.retrieve(refund.id)
    assert (failed.status, failed.failure_reason) == ("failed", "expired_or_canceled_card")
    back = sdk.v1.balance_transactions.retrieve(failed.failure_balance_transaction)
    assert (back.type, back.amount, back.source) == ("refund_failure", refund.amount, refund.id)
    assert sdk.v1.charges.retrieve(charge.id).amount_refunded == 0
    types = [e.type for e in reversed(sdk.v1.events.list(params={"limit": 100}).data)]
    assert types[-3:] == ["refund.updated", "refund.failed", "charge.refund.updated"]


def test_a_refund_of_the_5126_card_succeeds_then_fails(server, sdk, control):
    charge = paid_charge(server, sdk, 4900, card="4000000000005126")
    refund = sdk.v1.refunds.create(params={"charge": charge.id, "amount": 1000})
    assert refund.status == "succeeded"
    control.tick()
    _check_failed(sdk, charge, refund)
    updated = sdk.v1.events.list(params={"type": "refund.updated"}).data[0]
    assert updated.data.previous_attributes is not None
    assert updated.data.previous_attributes.status == "succeeded"


def test_the_next_refund_can_be_made_to_fail_later(server, sdk, control):
    charge = paid_charge(server, sdk, 4900)
    control.fail_next_refund("expired_or_canceled_card", after_seconds=3600)
    refund = sdk.v1.refunds.create(params={"charge": charge.id, "amount": 1000})
    control.advance_clock(3599)
    assert sdk.v1.refunds.retrieve(refund.id).status == "succeeded"
    control.advance_clock(1)
    _check_failed(sdk, charge, refund)
    later = sdk.v1.refunds.create(params={"charge": charge.id, "amount": 1000})
    control.advance_clock(7200)
    assert sdk.v1.refunds.retrieve(later.id).status == "succeeded"


def test_refund_list_filters_by_charge(server, sdk):
    one, two = paid_charge(server, sdk, 1000), paid_charge(server, sdk, 2000)
    mine = sdk.v1.refunds.create(params={"charge": one.id})
    sdk.v1.refunds.create(params={"charge": two.id})
    assert [r.id for r in sdk.v1.refunds.list(params={"charge": one.id}).data] == [mine.id]
    assert len(sdk.v1.refunds.list().data) == 2


def test_refund_needs_a_charge_or_a_payment_intent(sdk):
    with pytest.raises(stripe.InvalidRequestError):
        sdk.v1.refunds.create(params={"amount": 100})

"""Refunds: partial, several per charge up to what was paid and no further, and refunds that
fail later."""

from __future__ import annotations

import pytest
import stripe

from tests.stripe_local.support import create_session, paid_charge


def test_several_partial_refunds_up_to_the_amount(server, client, control):
    charge = paid_charge(server, client, 4900)
    first = client.v1.refunds.create(
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
    second = client.v1.refunds.create(params={"payment_intent": charge.payment_intent, "amount": 3000})
    assert second.amount == 3000
    refunded = client.v1.charges.retrieve(charge.id)
    assert (refunded.amount_refunded, refunded.refunded) == (4900, True)
    assert [r.id for r in refunded.refunds.data] == [second.id, first.id]
    txn = client.v1.balance_transactions.retrieve(first.balance_transaction)
    assert (txn.type, txn.amount, txn.fee, txn.net, txn.source) == ("refund", -1900, 0, -1900, first.id)
    assert control.refunds_of(charge.id) == 2


def test_refunding_more_than_is_left_is_refused_and_changes_nothing(server, client, control):
    charge = paid_charge(server, client, 4900)
    client.v1.refunds.create(params={"charge": charge.id, "amount": 4000})
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.refunds.create(params={"charge": charge.id, "amount": 901})
    assert (raised.value.http_status, raised.value.code, raised.value.param) == (
        400,
        "amount_too_large",
        "amount",
    )
    assert "9.00 USD" in str(raised.value.user_message)
    assert client.v1.charges.retrieve(charge.id).amount_refunded == 4000
    assert control.refunds_of(charge.id) == 1


def test_a_whole_refund_by_default_then_nothing_more(server, client):
    charge = paid_charge(server, client, 4900)
    assert client.v1.refunds.create(params={"charge": charge.id}).amount == 4900
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.refunds.create(params={"charge": charge.id, "amount": 1})
    assert raised.value.code == "charge_already_refunded"


def test_a_declined_charge_cannot_be_refunded(client, control):
    session = create_session(client)
    failed = control.pay(session.id, "4000000000000002")["charge"]["id"]
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.refunds.create(params={"charge": failed})


def test_refund_events(server, client, receiver, control):
    charge = paid_charge(server, client, 4900)
    refund = client.v1.refunds.create(params={"charge": charge.id, "amount": 900})
    assert control.wait_for_webhooks()
    refunded = [e for e in receiver.events() if e["type"] == "charge.refunded"]
    assert [(e["data"]["object"]["id"], e["data"]["object"]["amount_refunded"]) for e in refunded] == [
        (charge.id, 900)
    ]
    created = [e for e in receiver.events() if e["type"] == "refund.created"]
    assert [e["data"]["object"]["id"] for e in created] == [refund.id]


def _check_failed(client, charge, refund):
    failed = client.v1.refunds.retrieve(refund.id)
    assert (failed.status, failed.failure_reason) == ("failed", "expired_or_canceled_card")
    back = client.v1.balance_transactions.retrieve(failed.failure_balance_transaction)
    assert (back.type, back.amount, back.source) == ("refund_failure", refund.amount, refund.id)
    assert client.v1.charges.retrieve(charge.id).amount_refunded == 0
    types = [e.type for e in reversed(client.v1.events.list(params={"limit": 100}).data)]
    assert types[-3:] == ["refund.updated", "refund.failed", "charge.refund.updated"]


def test_a_refund_of_the_5126_card_succeeds_then_fails(server, client, control):
    charge = paid_charge(server, client, 4900, card="4000000000005126")
    refund = client.v1.refunds.create(params={"charge": charge.id, "amount": 1000})
    assert refund.status == "succeeded"
    control.tick()
    _check_failed(client, charge, refund)
    updated = client.v1.events.list(params={"type": "refund.updated"}).data[0]
    assert updated.data.previous_attributes is not None
    assert updated.data.previous_attributes.status == "succeeded"


def test_the_next_refund_can_be_made_to_fail_later(server, client, control):
    charge = paid_charge(server, client, 4900)
    control.fail_next_refund("expired_or_canceled_card", after_seconds=3600)
    refund = client.v1.refunds.create(params={"charge": charge.id, "amount": 1000})
    control.advance_clock(3599)
    assert client.v1.refunds.retrieve(refund.id).status == "succeeded"
    control.advance_clock(1)
    _check_failed(client, charge, refund)
    later = client.v1.refunds.create(params={"charge": charge.id, "amount": 1000})
    control.advance_clock(7200)
    assert client.v1.refunds.retrieve(later.id).status == "succeeded"


def test_refund_list_filters_by_charge(server, client):
    one, two = paid_charge(server, client, 1000), paid_charge(server, client, 2000)
    mine = client.v1.refunds.create(params={"charge": one.id})
    client.v1.refunds.create(params={"charge": two.id})
    assert [r.id for r in client.v1.refunds.list(params={"charge": one.id}).data] == [mine.id]
    assert len(client.v1.refunds.list().data) == 2


def test_refund_needs_a_charge_or_a_payment_intent(client):
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.refunds.create(params={"amount": 100})

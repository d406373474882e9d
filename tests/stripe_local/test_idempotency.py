"""Idempotency keys: the same key and parameters answer the same, once; the same key with other
parameters is an idempotency error — also when requests race, and when an answer was lost."""

from __future__ import annotations

import threading

import pytest
import stripe

from tests.stripe_local.support import paid_charge, raw


def test_same_key_same_answer_and_one_refund(server, sdk, control):
    charge = paid_charge(server, sdk, 4900)
    options: stripe.RequestOptions = {"idempotency_key": "refund:1"}
    first = sdk.v1.refunds.create(params={"charge": charge.id, "amount": 1000}, options=options)
    again = sdk.v1.refunds.create(params={"charge": charge.id, "amount": 1000}, options=options)
    assert again.id == first.id
    assert again.last_response is not None
    assert again.last_response.headers["Idempotent-Replayed"] == "true"
    assert control.refunds_of(charge.id) == 1
    assert sdk.v1.charges.retrieve(charge.id).amount_refunded == 1000


def test_same_key_other_parameters_is_an_idempotency_error(server, sdk, control):
    charge = paid_charge(server, sdk, 4900)
    options: stripe.RequestOptions = {"idempotency_key": "refund:2"}
    sdk.v1.refunds.create(params={"charge": charge.id, "amount": 1000}, options=options)
    with pytest.raises(stripe.IdempotencyError) as raised:
        sdk.v1.refunds.create(params={"charge": charge.id, "amount": 2000}, options=options)
    assert raised.value.http_status == 400
    assert "refund:2" in str(raised.value.user_message)
    assert control.refunds_of(charge.id) == 1


def test_keys_belong_to_an_api_key(server, sdk):
    charge = paid_charge(server, sdk, 4900)
    other = server.client("sk_test_another_tenant")
    options: stripe.RequestOptions = {"idempotency_key": "refund:3"}
    mine = sdk.v1.refunds.create(params={"charge": charge.id, "amount": 100}, options=options)
    theirs = other.v1.refunds.create(params={"charge": charge.id, "amount": 100}, options=options)
    assert mine.id != theirs.id


def test_a_refused_request_is_not_remembered(server, sdk, control):
    charge = paid_charge(server, sdk, 4900)
    options: stripe.RequestOptions = {"idempotency_key": "refund:4"}
    with pytest.raises(stripe.InvalidRequestError):
        sdk.v1.refunds.create(params={"charge": charge.id, "amount": 999_999}, options=options)
    with pytest.raises(stripe.InvalidRequestError):
        sdk.v1.refunds.create(params={"charge": charge.id, "amount": 999_999}, options=options)
    assert control.refunds_of(charge.id) == 0


def test_a_decline_is_remembered_like_stripe_does(sdk, control):
    options: stripe.RequestOptions = {"idempotency_key": "pay:1"}
    params = {"amount": 1000, "currency": "usd", "payment_method": "pm_card_chargeDeclined", "confirm": True}
    with pytest.raises(stripe.CardError) as first:
        sdk.v1.payment_intents.create(params=params, options=options)
    with pytest.raises(stripe.CardError) as second:
        sdk.v1.payment_intents.create(params=params, options=options)
    assert first.value.json_body == second.value.json_body
    assert len(sdk.v1.payment_intents.list().data) == 1


def test_racing_requests_with_one_key_refund_once(server, sdk, control):
    charge = paid_charge(server, sdk, 4900)
    answers: list[str] = []
    barrier = threading.Barrier(8)

    def refund() -> None:
        own = server.client(max_network_retries=0)
        barrier.wait()
        made = own.v1.refunds.create(
            params={"charge": charge.id, "amount": 700}, options={"idempotency_key": "refund:race"}
        )
        answers.append(made.id)

    threads = [threading.Thread(target=refund) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(answers) == 8
    assert len(set(answers)) == 1
    assert control.refunds_of(charge.id) == 1


def test_a_lost_answer_retried_by_the_sdk_changes_nothing_twice(server, sdk, control):
    """The refund is made, the answer is lost (a 500 after the work); the SDK retries with the
    same key and gets the stored refund."""
    charge = paid_charge(server, sdk, 4900)
    control.add_fault("/v1/refunds", status=500, after=True)
    refund = sdk.v1.refunds.create(params={"charge": charge.id, "amount": 1000})
    assert control.requests_to("POST", "/v1/refunds") == 2
    assert control.refunds_of(charge.id) == 1
    assert sdk.v1.refunds.retrieve(refund.id).amount == 1000


def test_get_requests_ignore_idempotency_keys(server):
    status, _ = raw(server, "/v1/balance")
    assert status == 200

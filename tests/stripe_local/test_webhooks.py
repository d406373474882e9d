"""Events reach our webhook signed with Stripe's scheme, and are retried until it answers 2xx."""

from __future__ import annotations

import pytest
import stripe

from tests.stripe_local.support import SECRET, Receiver, create_session


def test_deliveries_verify_with_the_secret_and_not_without_it(sdk, control, receiver):
    session = create_session(sdk)
    control.pay(session.id)
    assert control.wait_for_webhooks()
    assert receiver.received
    for delivery in receiver.received:
        event = stripe.Webhook.construct_event(delivery.body, delivery.signature, SECRET)
        assert event.object == "event"
        with pytest.raises(stripe.SignatureVerificationError):
            stripe.Webhook.construct_event(delivery.body, delivery.signature, "whsec_wrong")
        with pytest.raises(stripe.SignatureVerificationError):
            stripe.Webhook.construct_event(
                delivery.body.replace(b'"livemode": false', b'"livemode": true'), delivery.signature, SECRET
            )
    completed = [e for e in receiver.events() if e["type"] == "checkout.session.completed"]
    assert [(e["data"]["object"]["id"], e["data"]["object"]["payment_status"]) for e in completed] == [
        (session.id, "paid")
    ]
    assert receiver.types() == [
        "payment_intent.created",
        "charge.succeeded",
        "payment_intent.succeeded",
        "checkout.session.completed",
    ]


def test_a_failed_delivery_is_retried_until_the_endpoint_answers_2xx(sdk, control, receiver):
    receiver.answers[:] = [500, 503]
    session = create_session(sdk)
    control.set_webhook(receiver.url, SECRET)
    sdk.v1.checkout.sessions.expire(session.id)
    assert control.wait_for_webhooks()
    assert [item.answered for item in receiver.received] == [500, 503, 200]
    assert {e["id"] for e in receiver.events()} == {receiver.events()[0]["id"]}
    deliveries = control.webhook_deliveries()
    assert [(d["attempt"], d["status"], d["succeeded"]) for d in deliveries] == [
        (1, 500, False),
        (2, 503, False),
        (3, 200, True),
    ]
    event = sdk.v1.events.retrieve(receiver.events()[0]["id"])
    assert (event.type, event.pending_webhooks) == ("checkout.session.expired", 0)


def test_an_unreachable_endpoint_is_retried_and_counted_pending(server, sdk, control):
    down = Receiver()
    down.start()
    url = down.url
    down.stop()
    control.set_webhook(url, SECRET)
    session = create_session(sdk)
    sdk.v1.checkout.sessions.expire(session.id)
    assert not control.wait_for_webhooks(timeout=0.5)
    deliveries = control.webhook_deliveries()
    assert len(deliveries) >= 2
    assert all(d["status"] is None and "Error" in d["error"] for d in deliveries)
    event = sdk.v1.events.list(params={"type": "checkout.session.expired"}).data[0]
    assert event.pending_webhooks == 1


def test_events_record_the_request_and_its_idempotency_key(sdk, receiver, control):
    session = create_session(sdk)
    expired = sdk.v1.checkout.sessions.expire(session.id, options={"idempotency_key": "expire:1"})
    assert control.wait_for_webhooks()
    (event,) = receiver.events()
    assert event["request"]["idempotency_key"] == "expire:1"
    assert expired.last_response is not None
    assert event["request"]["id"] == expired.last_response.request_id
    assert event["api_version"] == stripe.api_version


def test_no_endpoint_means_no_deliveries_and_nothing_pending(sdk, control):
    session = create_session(sdk)
    sdk.v1.checkout.sessions.expire(session.id)
    assert control.webhook_deliveries() == []
    assert sdk.v1.events.list().data[0].pending_webhooks == 0

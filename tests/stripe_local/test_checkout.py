"""Checkout Sessions through the real SDK: create, retrieve, list, expire, and pay with each kind
of test card (the page-free way, `/_control/.../pay`)."""

from __future__ import annotations

import pytest
import stripe

from tests.stripe_local.support import create_session, line_item

pytestmark = pytest.mark.usefixtures("server")


def test_create_keeps_what_we_send_and_answers_stripes_shape(sdk, control):
    now = control.now()
    session = create_session(
        sdk,
        4900,
        client_reference_id="order:17",
        customer_email="learner@example.com",
        metadata={"order": "17"},
        expires_at=now + 3600,
        payment_intent_data={"metadata": {"order": "17"}, "description": "Order 17"},
    )
    assert session.object == "checkout.session"
    assert session.id.startswith("cs_test_")
    assert session.status == "open"
    assert session.payment_status == "unpaid"
    assert session.amount_total == 4900
    assert session.currency == "usd"
    assert session.client_reference_id == "order:17"
    assert session.customer_email == "learner@example.com"
    assert session.metadata is not None
    assert session.metadata.to_dict() == {"order": "17"}
    assert session.expires_at == now + 3600
    assert session.payment_intent is None
    assert session.url is not None
    assert session.url.endswith(f"/c/pay/{session.id}")
    again = sdk.v1.checkout.sessions.retrieve(session.id)
    assert again.to_dict() == session.to_dict()


def test_default_expiry_is_24_hours(sdk, control):
    session = create_session(sdk)
    assert session.expires_at - session.created == 24 * 3600


@pytest.mark.parametrize(
    ("offset", "message"),
    [
        (29 * 60, "at least 30 minutes"),
        (24 * 3600 + 1, "less than 24 hours"),
    ],
)
def test_expires_at_outside_30_minutes_to_24_hours_is_refused(sdk, control, offset, message):
    with pytest.raises(stripe.InvalidRequestError) as raised:
        create_session(sdk, expires_at=control.now() + offset)
    assert raised.value.http_status == 400
    assert raised.value.param == "expires_at"
    assert message in str(raised.value.user_message)
    assert sdk.v1.checkout.sessions.list().data == []


def test_expires_at_bounds_themselves_are_accepted(sdk, control):
    now = control.now()
    assert create_session(sdk, expires_at=now + 30 * 60 + 1).status == "open"
    assert create_session(sdk, expires_at=now + 24 * 3600 - 1).status == "open"


@pytest.mark.parametrize(
    ("extra", "param", "code"),
    [
        ({"surprise": "1"}, "surprise", "parameter_unknown"),
        ({"line_items": [{"price": "price_123", "quantity": 1}]}, "line_items[0][price]", None),
        ({"line_items": [line_item(10)]}, "line_items", "amount_too_small"),
        ({"success_url": "javascript:alert(1)"}, "success_url", "url_invalid"),
        ({"customer_email": "not-an-email"}, "customer_email", "email_invalid"),
        ({"mode": "subscription"}, "mode", None),
        (
            {"payment_intent_data": {"application_fee_amount": 100}},
            "payment_intent_data[application_fee_amount]",
            None,
        ),
        (
            {"payment_intent_data": {"transfer_data": {"destination": "bank-of-nowhere"}}},
            "payment_intent_data[transfer_data][destination]",
            "resource_missing",
        ),
    ],
)
def test_bad_parameters_are_refused_as_stripe_refuses_them(sdk, extra, param, code):
    with pytest.raises(stripe.InvalidRequestError) as raised:
        create_session(sdk, **extra)
    assert raised.value.http_status == 400
    assert raised.value.param == param
    assert raised.value.code == code


def test_missing_line_items_is_a_missing_parameter(sdk):
    with pytest.raises(stripe.InvalidRequestError) as raised:
        sdk.v1.checkout.sessions.create(params={"mode": "payment", "success_url": "http://shop.test/ok"})
    assert (raised.value.code, raised.value.param) == ("parameter_missing", "line_items")


def test_unknown_session_is_a_404(sdk):
    with pytest.raises(stripe.InvalidRequestError) as raised:
        sdk.v1.checkout.sessions.retrieve("cs_test_nope")
    assert raised.value.http_status == 404
    assert raised.value.code == "resource_missing"


def test_line_items_list_each_item(sdk):
    session = sdk.v1.checkout.sessions.create(
        params={
            "mode": "payment",
            "success_url": "http://shop.test/ok",
            "line_items": [line_item(3000, "Unit A"), {**line_item(1000, "Unit B"), "quantity": 2}],
        }
    )
    assert session.amount_total == 5000
    items = sdk.v1.checkout.sessions.line_items.list(session.id)
    assert [(i.description, i.quantity, i.amount_total, i.price.unit_amount) for i in items.data] == [
        ("Unit A", 1, 3000, 3000),
        ("Unit B", 2, 2000, 1000),
    ]


def test_paying_with_4242_completes_the_session(sdk, control):
    session = create_session(sdk, 4900, payment_intent_data={"metadata": {"order": "17"}})
    answer = control.pay(session.id, "4242 4242 4242 4242", email="learner@example.com", name="Ada Learner")
    assert answer["paid"] is True
    paid = sdk.v1.checkout.sessions.retrieve(session.id)
    assert (paid.status, paid.payment_status) == ("complete", "paid")
    assert paid.customer_details is not None
    assert paid.customer_details.email == "learner@example.com"
    assert paid.url is None
    intent = sdk.v1.payment_intents.retrieve(paid.payment_intent)
    assert (intent.status, intent.amount, intent.amount_received) == ("succeeded", 4900, 4900)
    assert intent.metadata.to_dict() == {"order": "17"}
    charge = sdk.v1.charges.retrieve(intent.latest_charge)
    assert (charge.status, charge.paid, charge.amount) == ("succeeded", True, 4900)
    assert charge.payment_method_details.card.last4 == "4242"
    assert charge.billing_details.name == "Ada Learner"


@pytest.mark.parametrize(
    ("card", "code", "decline_code", "message"),
    [
        ("4000000000000002", "card_declined", "generic_decline", "Your card was declined."),
        ("4000000000009995", "card_declined", "insufficient_funds", "Your card has insufficient funds."),
    ],
)
def test_declined_cards_leave_the_session_open_for_another_try(
    sdk, control, card, code, decline_code, message
):
    session = create_session(sdk)
    answer = control.pay(session.id, card)
    assert answer["paid"] is False
    assert answer["error"] == {"code": code, "decline_code": decline_code, "message": message}
    still = sdk.v1.checkout.sessions.retrieve(session.id)
    assert (still.status, still.payment_status) == ("open", "unpaid")
    intent = sdk.v1.payment_intents.retrieve(still.payment_intent)
    assert intent.status == "requires_payment_method"
    assert intent.last_payment_error is not None
    assert (intent.last_payment_error.code, intent.last_payment_error.decline_code) == (code, decline_code)
    failed = sdk.v1.charges.retrieve(intent.latest_charge)
    assert (failed.status, failed.failure_code, failed.outcome.reason) == ("failed", code, decline_code)
    assert failed.balance_transaction is None

    assert control.pay(session.id, "4242424242424242")["paid"] is True
    intent = sdk.v1.payment_intents.retrieve(still.payment_intent)
    assert intent.status == "succeeded"
    assert len(sdk.v1.charges.list(params={"payment_intent": intent.id}).data) == 2


def test_a_forced_decline_applies_to_the_next_payment_only(sdk, control):
    control.decline_next("insufficient_funds")
    first, second = create_session(sdk), create_session(sdk)
    assert control.pay(first.id, "4242424242424242")["error"]["decline_code"] == "insufficient_funds"
    assert control.pay(second.id, "4242424242424242")["paid"] is True


def test_a_paid_session_cannot_be_paid_again(control, sdk):
    session = create_session(sdk)
    control.pay(session.id)
    status, body = control.request(
        "POST", f"checkout/sessions/{session.id}/pay", {"card": "4242424242424242"}
    )
    assert status == 400
    assert body["error"]["code"] == "checkout_session_not_open"
    assert len(sdk.v1.charges.list().data) == 1


def test_expire_closes_an_open_session_and_cancels_its_payment_intent(sdk, control):
    session = create_session(sdk)
    control.pay(session.id, "4000000000000002")
    expired = sdk.v1.checkout.sessions.expire(session.id)
    assert expired.status == "expired"
    assert sdk.v1.payment_intents.retrieve(expired.payment_intent).status == "canceled"
    status, _ = control.request("POST", f"checkout/sessions/{session.id}/pay", {"card": "4242424242424242"})
    assert status == 400
    with pytest.raises(stripe.InvalidRequestError) as raised:
        sdk.v1.checkout.sessions.expire(session.id)
    assert "can be expired" in str(raised.value.user_message)
    events = sdk.v1.events.list(params={"type": "checkout.session.expired"}).data
    assert [event.data.object.id for event in events] == [session.id]


def test_a_paid_session_cannot_be_expired(sdk, control):
    session = create_session(sdk)
    control.pay(session.id)
    with pytest.raises(stripe.InvalidRequestError):
        sdk.v1.checkout.sessions.expire(session.id)
    assert sdk.v1.checkout.sessions.retrieve(session.id).status == "complete"


def test_sessions_expire_on_the_servers_clock(sdk, control):
    now = control.now()
    soon = create_session(sdk, expires_at=now + 1800)
    later = create_session(sdk, expires_at=now + 7200)
    control.advance_clock(1799)
    assert sdk.v1.checkout.sessions.retrieve(soon.id).status == "open"
    control.advance_clock(1)
    assert sdk.v1.checkout.sessions.retrieve(soon.id).status == "expired"
    assert sdk.v1.checkout.sessions.retrieve(later.id).status == "open"
    events = sdk.v1.events.list(params={"type": "checkout.session.expired"}).data
    assert [event.data.object.id for event in events] == [soon.id]


def test_list_filters_by_status_and_payment_intent(sdk, control):
    paid, open_ = create_session(sdk), create_session(sdk)
    control.pay(paid.id)
    intent = sdk.v1.checkout.sessions.retrieve(paid.id).payment_intent
    assert [s.id for s in sdk.v1.checkout.sessions.list(params={"status": "open"}).data] == [open_.id]
    assert [s.id for s in sdk.v1.checkout.sessions.list(params={"payment_intent": intent}).data] == [paid.id]


def test_events_of_a_card_payment(sdk, control):
    session = create_session(sdk)
    control.pay(session.id)
    types = [event.type for event in reversed(sdk.v1.events.list().data)]
    assert types == [
        "payment_intent.created",
        "charge.succeeded",
        "payment_intent.succeeded",
        "checkout.session.completed",
    ]
    completed = sdk.v1.events.list(params={"type": "checkout.session.completed"}).data[0]
    assert completed.data.object.payment_status == "paid"


@pytest.mark.parametrize(
    ("iban", "outcome", "payment_status"),
    [
        ("DE89370400440532013000", "checkout.session.async_payment_succeeded", "paid"),
        ("DE62370400440532013001", "checkout.session.async_payment_failed", "unpaid"),
    ],
)
def test_a_bank_debit_completes_unpaid_then_settles_later(sdk, control, iban, outcome, payment_status):
    session = create_session(sdk, payment_method_types=["card", "sepa_debit"])
    answer = control.pay(session.id, iban=iban)
    assert answer["session"]["status"] == "complete"
    assert answer["session"]["payment_status"] == "unpaid"
    assert answer["payment_intent"]["status"] == "processing"
    completed = sdk.v1.events.list(params={"type": "checkout.session.completed"}).data[0]
    assert completed.data.object.payment_status == "unpaid"
    control.advance_clock(179)
    assert sdk.v1.events.list(params={"type": outcome}).data == []
    control.advance_clock(1)
    events = sdk.v1.events.list(params={"type": outcome}).data
    assert [event.data.object.payment_status for event in events] == [payment_status]
    assert sdk.v1.checkout.sessions.retrieve(session.id).payment_status == payment_status

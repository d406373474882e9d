"""What every API request meets: authentication, unknown routes, Stripe-shaped errors."""

from __future__ import annotations

import json
import urllib.request

import pytest
import stripe

from stripe_local.client import stripe_client


def test_no_api_key_is_an_authentication_error(server):
    request = urllib.request.Request(f"{server.url}/v1/balance")
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(request, timeout=5)
    with raised.value as answer:
        assert answer.code == 401
        assert json.loads(answer.read())["error"]["type"] == "invalid_request_error"


def test_a_live_key_is_refused(server):
    live = stripe_client(server.url, "sk_live_1234567890abcdef")
    with pytest.raises(stripe.AuthenticationError) as raised:
        live.v1.balance.retrieve()
    assert "sk_live_" in str(raised.value.user_message)
    assert "1234567890ab" not in str(raised.value.user_message)


def test_an_unknown_route_is_a_404_invalid_request(sdk):
    with pytest.raises(stripe.InvalidRequestError) as raised:
        sdk.v1.subscriptions.list()
    assert raised.value.http_status == 404
    assert "Unrecognized request URL" in str(raised.value.user_message)


def test_acting_for_a_connected_account_is_refused_plainly(server):
    connected = stripe.StripeClient(
        "sk_test_x", base_addresses={"api": server.url}, stripe_account="acct_123", max_network_retries=0
    )
    with pytest.raises(stripe.InvalidRequestError) as raised:
        connected.v1.balance.retrieve()
    assert "Stripe-Account" in str(raised.value.user_message)


def test_every_answer_carries_a_request_id(sdk):
    balance = sdk.v1.balance.retrieve()
    assert balance.last_response is not None
    assert balance.last_response.request_id is not None
    assert balance.last_response.request_id.startswith("req_")


def test_health(server):
    with urllib.request.urlopen(f"{server.url}/healthz", timeout=5) as answer:
        assert json.loads(answer.read())["status"] == "ok"

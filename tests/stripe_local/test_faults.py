"""Faults tests inject: errors the SDK retries, a rate limit it does not, slow answers its
timeout cuts short."""

from __future__ import annotations

import time

import pytest
import stripe

from tests.stripe_local.support import create_session


def test_a_500_then_success_is_retried_by_the_sdk(sdk, control):
    control.add_fault("/v1/checkout/sessions", status=500, times=2, method="POST")
    session = create_session(sdk)
    assert session.status == "open"
    assert control.requests_to("POST", "/v1/checkout/sessions") == 3
    assert len(sdk.v1.checkout.sessions.list().data) == 1


def test_more_failures_than_retries_surface_as_an_api_error(sdk, control):
    control.add_fault("/v1/checkout/sessions", status=503, times=3)
    with pytest.raises(stripe.APIError) as raised:
        create_session(sdk)
    assert raised.value.http_status == 503
    assert control.requests_to("POST", "/v1/checkout/sessions") == 3
    assert sdk.v1.checkout.sessions.list().data == []


def test_a_429_is_a_rate_limit_error_and_is_not_retried(sdk, control):
    control.add_fault("/v1/refunds", status=429)
    with pytest.raises(stripe.RateLimitError) as raised:
        sdk.v1.refunds.create(params={"charge": "ch_x"})
    assert raised.value.http_status == 429
    assert isinstance(raised.value.json_body, dict)
    assert raised.value.json_body["error"]["code"] == "rate_limit"
    assert control.requests_to("POST", "/v1/refunds") == 1


def test_a_429_with_should_retry_is_retried(sdk, control):
    control.add_fault("/v1/balance", status=429, should_retry=True)
    assert sdk.v1.balance.retrieve().object == "balance"
    assert control.requests_to("GET", "/v1/balance") == 2


def test_a_slow_answer_trips_the_sdks_timeout(server, control):
    control.add_fault("/v1/balance", status=None, delay_ms=2000)
    impatient = server.client(max_network_retries=0, timeout=0.3)
    started = time.monotonic()
    with pytest.raises(stripe.APIConnectionError):
        impatient.v1.balance.retrieve()
    assert time.monotonic() - started < 1.5


def test_a_slow_answer_within_the_timeout_is_fine(sdk, control):
    control.add_fault("/v1/balance", status=None, delay_ms=200)
    started = time.monotonic()
    assert sdk.v1.balance.retrieve().object == "balance"
    assert time.monotonic() - started >= 0.2


def test_faults_are_listed_used_up_and_cleared(control):
    control.add_fault("/v1/refunds", status=500, times=2)
    control.add_fault("/v1/payouts", status=None, delay_ms=10)
    assert [f["path_prefix"] for f in control.call("GET", "faults")["faults"]] == [
        "/v1/refunds",
        "/v1/payouts",
    ]
    control.clear_faults()
    assert control.call("GET", "faults")["faults"] == []
    status, _ = control.request("POST", "faults", {"status": 200})
    assert status == 400


def test_reset_forgets_state_faults_and_the_clock(sdk, control):
    create_session(sdk)
    control.add_fault("/v1/refunds", status=500)
    start = control.now()
    control.advance_clock(86_400)
    control.reset()
    assert sdk.v1.checkout.sessions.list().data == []
    assert control.call("GET", "faults")["faults"] == []
    assert control.now() - start < 86_400

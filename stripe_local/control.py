"""The control API under `/_control/`: never part of Stripe's API. Tests and the demo use it to
reset state, inject faults, move the clock, pay a session without a browser, trigger payouts and
read counters. JSON in, JSON out; `stripe_local.client.ControlClient` wraps it.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from stripe_local import cards
from stripe_local.errors import ApiError, invalid
from stripe_local.faults import Fault
from stripe_local.ids import new_id
from stripe_local.models import Charge, ChargeTerms
from stripe_local.money import processing_fee
from stripe_local.resources import balance, charges, checkout, intents, invoices
from stripe_local.routes import tick
from stripe_local.store import ForcedDecline, RefundFailure

if TYPE_CHECKING:
    from stripe_local.server import LocalStripe

Json = dict[str, Any]


@dataclass
class Request:
    server: LocalStripe
    body: Json
    ids: dict[str, str]


def _int(body: Json, key: str, default: int, minimum: int = 0) -> int:
    value = body.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise invalid(f"{key} must be an integer of at least {minimum}", param=key)
    return value


def _str(body: Json, key: str, default: str | None = None) -> str | None:
    value = body.get(key, default)
    if value is not None and not isinstance(value, str):
        raise invalid(f"{key} must be a string", param=key)
    return value


def index(request: Request) -> Json:
    return {"endpoints": [f"{method} {template}" for method, template, _ in _ROUTES]}


def reset(request: Request) -> Json:
    server = request.server
    with server.store.lock:
        server.store.reset()
        server.faults.clear()
        server.webhooks.clear()
    return {"reset": True}


def clock(request: Request) -> Json:
    store = request.server.store
    with store.lock:
        tick(store)
        return {"now": store.now(), "offset": store.clock.offset}


def advance_clock(request: Request) -> Json:
    seconds = _int(request.body, "seconds", 0)
    store = request.server.store
    with store.lock:
        store.clock.advance(seconds)
        tick(store)
        return {"now": store.now(), "offset": store.clock.offset}


def add_fault(request: Request) -> Json:
    body = request.body
    status = body.get("status", 500)
    if status is not None and not isinstance(status, int):
        raise invalid("status must be an integer or null", param="status")
    should_retry = body.get("should_retry")
    if should_retry is not None and not isinstance(should_retry, bool):
        raise invalid("should_retry must be a boolean or null", param="should_retry")
    method = _str(body, "method")
    fault = Fault(
        path_prefix=_str(body, "path_prefix", "/v1/") or "/v1/",
        method=method.upper() if method else None,
        status=status,
        times=_int(body, "times", 1, 1),
        delay_ms=_int(body, "delay_ms", 0),
        after=bool(body.get("after", False)),
        should_retry=should_retry,
    )
    try:
        request.server.faults.add(fault)
    except ValueError as problem:
        raise invalid(str(problem)) from problem
    return {"fault": fault.describe()}


def list_faults(request: Request) -> Json:
    return {"faults": request.server.faults.rules()}


def clear_faults(request: Request) -> Json:
    request.server.faults.clear()
    return {"faults": []}


def force_decline(request: Request) -> Json:
    code = _str(request.body, "decline_code", "generic_decline") or ""
    if code not in cards.DECLINE_CODES:
        raise invalid(f"decline_code must be one of {', '.join(cards.DECLINE_CODES)}", param="decline_code")
    times = _int(request.body, "times", 1, 1)
    store = request.server.store
    with store.lock:
        store.declines.append(ForcedDecline(code, times))
        return {"declines": [{"decline_code": d.decline_code, "times": d.times} for d in store.declines]}


def force_refund_failure(request: Request) -> Json:
    reason = _str(request.body, "failure_reason", "expired_or_canceled_card") or ""
    times = _int(request.body, "times", 1, 1)
    after_seconds = _int(request.body, "after_seconds", 0)
    store = request.server.store
    with store.lock:
        store.refund_failures.append(RefundFailure(reason, after_seconds, times))
        return {"refund_failures": len(store.refund_failures)}


def trigger_payout(request: Request) -> Json:
    currency = (_str(request.body, "currency", "usd") or "usd").lower()
    fail_with = _str(request.body, "fail_with")
    if fail_with is not None and fail_with not in balance.PAYOUT_FAILURES:
        raise invalid(f"fail_with must be one of {', '.join(balance.PAYOUT_FAILURES)}", param="fail_with")
    store = request.server.store
    with store.lock:
        tick(store)
        payout = balance.sweep(store, currency, fails_with=fail_with)
        return balance.render_payout(store, payout)


def pay_session(request: Request) -> Json:
    """Pay a checkout session as the hosted page would: `card` (a test card number or a
    `pm_card_*` name) or `iban`, with optional `expiry` ("MM/YY"), `cvc`, `email`, `name`."""
    body = request.body
    store = request.server.store
    card = _str(body, "card")
    iban = _str(body, "iban")
    name = _str(body, "name")
    email = _str(body, "email")
    with store.lock:
        tick(store)
        session = checkout.get_session(store, request.ids["id"])
        try:
            if iban is not None:
                charge = checkout.pay_with_iban(store, session, iban, name=name, email=email)
            else:
                number = cards.TEST_PAYMENT_METHODS.get(card or "", card or "4242424242424242")
                default_cvc = "1234" if cards.lookup(cards.normalise(number)).brand == "amex" else "123"
                expiry = _str(body, "expiry", f"12/{time.gmtime(store.now()).tm_year + 3}") or ""
                cvc = _str(body, "cvc", default_cvc) or ""
                card_input = cards.read_card(store, number, expiry, cvc)
                charge = checkout.pay_with_card(store, session, card_input, name=name, email=email)
        except cards.CardInputError as problem:
            raise ApiError(
                400, problem.message, type="card_error", code=problem.code, param=problem.field
            ) from None
        answer: Json = {
            "paid": charge.paid,
            "session": checkout.render_session(store, session),
            "payment_intent": intents.render_intent(
                store, store.payment_intents.must(charge.payment_intent or "")
            ),
            "charge": charges.render_charge(store, charge),
        }
        if charge.status == "failed":
            answer["error"] = {
                "code": charge.failure_code,
                "decline_code": charge.decline_code,
                "message": charge.failure_message,
            }
        return answer


def pay_invoice(request: Request) -> Json:
    """Pay an invoice by card as its hosted page would: `card` (a test card number or a `pm_card_*`
    name), optional `expiry` ("MM/YY"), `cvc`, `name`."""
    body = request.body
    store = request.server.store
    card = _str(body, "card")
    name = _str(body, "name")
    with store.lock:
        tick(store)
        invoice = invoices.get_invoice(store, request.ids["id"])
        number = cards.TEST_PAYMENT_METHODS.get(card or "", card or "4242424242424242")
        default_cvc = "1234" if cards.lookup(cards.normalise(number)).brand == "amex" else "123"
        expiry = _str(body, "expiry", f"12/{time.gmtime(store.now()).tm_year + 3}") or ""
        cvc = _str(body, "cvc", default_cvc) or ""
        try:
            card_input = cards.read_card(store, number, expiry, cvc)
        except cards.CardInputError as problem:
            raise ApiError(
                400, problem.message, type="card_error", code=problem.code, param=problem.field
            ) from None
        charge = invoices.pay_with_card(
            store,
            invoice,
            cards.lookup(card_input.number),
            exp_month=card_input.exp_month,
            exp_year=card_input.exp_year,
            name=name,
        )
        answer: Json = {
            "paid": charge.paid,
            "invoice": invoices.render_invoice(store, invoice),
            "charge": charges.render_charge(store, charge),
        }
        if charge.status == "failed":
            answer["error"] = {
                "code": charge.failure_code,
                "decline_code": charge.decline_code,
                "message": charge.failure_message,
            }
        return answer


def counters(request: Request) -> Json:
    server = request.server
    store = server.store
    with store.lock:
        return {
            "requests": dict(store.requests),
            "refunds_per_charge": store.refunds.counts("charge"),
            "events": dict(Counter(event.type for event in store.events)),
            "webhook_deliveries": len(server.webhooks.deliveries),
            "webhooks_pending": server.webhooks.pending(),
        }


def webhooks(request: Request) -> Json:
    deliverer = request.server.webhooks
    return {"url": deliverer.url, "pending": deliverer.pending(), "deliveries": deliverer.report()}


def configure_webhooks(request: Request) -> Json:
    url = _str(request.body, "url")
    secret = _str(request.body, "secret")
    if secret is not None and not secret.startswith("whsec_"):
        raise invalid("secret must start with whsec_", param="secret")
    try:
        request.server.webhooks.configure(url=url, secret=secret)
    except ValueError as problem:
        raise invalid(str(problem), param="url") from problem
    return {"url": url, "secret": request.server.webhooks.secret}


def wait_webhooks(request: Request) -> Json:
    timeout = request.body.get("timeout", 5)
    if not isinstance(timeout, int | float) or not 0 <= timeout <= 60:
        raise invalid("timeout must be a number of seconds from 0 to 60", param="timeout")
    return {"idle": request.server.webhooks.wait_idle(float(timeout))}


def accounts(request: Request) -> Json:
    store = request.server.store
    with store.lock:
        return {
            account.id: {
                "balance": dict(account.balance),
                "transfers": account.transfers,
                "reversals": account.reversals,
            }
            for account in store.accounts.values()
        }


def seed_charges(request: Request) -> Json:
    """Many succeeded charges at once (no payment intents, no events), for listing and payout
    tests at volume: `{"count": 200000, "amount": 1000, "currency": "usd", "available": true}`."""
    body = request.body
    count = _int(body, "count", 1, 1)
    amount = _int(body, "amount", 1000, 50)
    currency = (_str(body, "currency", "usd") or "usd").lower()
    available = bool(body.get("available", True))
    if count > 1_000_000:
        raise invalid("count must be at most 1,000,000", param="count")
    store = request.server.store
    card = cards.card_details(cards.TEST_CARDS["4242424242424242"], 12, 2034)
    with store.lock:
        now = store.now()
        first = last = ""
        for _ in range(count):
            charge = Charge(
                id=new_id("ch_"),
                created=now,
                amount=amount,
                currency=currency,
                status="succeeded",
                card=card,
                payment_method="pm_card_visa",
                payment_intent=None,
                terms=ChargeTerms(),
            )
            store.charges.add(charge)
            charge.balance_transaction = balance.add_transaction(
                store,
                amount=amount,
                fee=processing_fee(amount),
                currency=currency,
                type="charge",
                reporting_category="charge",
                source=charge.id,
                available_on=None if available else now + balance.AVAILABLE_AFTER,
            ).id
            first = first or charge.id
            last = charge.id
        return {"created": count, "first": first, "last": last}


def run_tick(request: Request) -> Json:
    store = request.server.store
    with store.lock:
        tick(store)
        return {"now": store.now()}


Handler = Callable[[Request], Json]

_ROUTES: list[tuple[str, str, Handler]] = [
    ("GET", "/_control/", index),
    ("POST", "/_control/reset", reset),
    ("GET", "/_control/clock", clock),
    ("POST", "/_control/clock/advance", advance_clock),
    ("POST", "/_control/tick", run_tick),
    ("GET", "/_control/faults", list_faults),
    ("POST", "/_control/faults", add_fault),
    ("DELETE", "/_control/faults", clear_faults),
    ("POST", "/_control/decline", force_decline),
    ("POST", "/_control/refund_failure", force_refund_failure),
    ("POST", "/_control/payouts", trigger_payout),
    ("POST", "/_control/checkout/sessions/{id}/pay", pay_session),
    ("POST", "/_control/invoices/{id}/pay", pay_invoice),
    ("GET", "/_control/counters", counters),
    ("GET", "/_control/webhooks", webhooks),
    ("POST", "/_control/webhooks", configure_webhooks),
    ("POST", "/_control/webhooks/wait", wait_webhooks),
    ("GET", "/_control/accounts", accounts),
    ("POST", "/_control/seed/charges", seed_charges),
]
_COMPILED = [
    (method, re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template) + "$"), handler)
    for method, template, handler in _ROUTES
]


def handle(server: LocalStripe, method: str, path: str, body: Json) -> tuple[int, Json]:
    for route_method, pattern, handler in _COMPILED:
        match = pattern.match(path)
        if match and route_method == method:
            try:
                return 200, handler(Request(server, body, match.groupdict()))
            except ApiError as error:
                return error.status, error.body()
    return 404, {
        "error": {"type": "invalid_request_error", "message": f"No control endpoint {method} {path}"}
    }

"""Clients of a running local Stripe server (in this process or another): the real SDK pointed
at it, and `ControlClient` for its `/_control/` API."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any, cast

import stripe

_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def stripe_client(
    url: str, api_key: str, *, max_network_retries: int = 2, timeout: float = 5.0
) -> stripe.StripeClient:
    """The SDK as our code should configure it: retries on, a short timeout."""
    return stripe.StripeClient(
        api_key,
        base_addresses={"api": url},
        max_network_retries=max_network_retries,
        http_client=stripe.RequestsClient(timeout=timeout),
    )


class ControlError(Exception):
    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(f"{status}: {body.get('error', body)}")
        self.status = status
        self.body = body


class ControlClient:
    def __init__(self, url: str, *, timeout: float = 30.0) -> None:
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"not an http(s) address: {url!r}")
        self.url = url.rstrip("/")
        self.timeout = timeout

    def request(
        self, method: str, path: str, payload: dict[str, Any] | None = None
    ) -> tuple[int, dict[str, Any]]:
        data = json.dumps(payload).encode() if payload is not None else None
        # The server's own base address: http(s), given by the code that started it.
        request = urllib.request.Request(  # noqa: S310
            f"{self.url}/_control/{path.lstrip('/')}",
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        try:
            with _DIRECT.open(request, timeout=self.timeout) as answer:
                return answer.status, cast(dict[str, Any], json.loads(answer.read()))
        except urllib.error.HTTPError as error:
            with error:
                return error.code, cast(dict[str, Any], json.loads(error.read() or b"{}"))

    def call(self, method: str, path: str, payload: dict[str, Any] | None = None) -> dict[str, Any]:
        status, body = self.request(method, path, payload)
        if status >= 400:
            raise ControlError(status, body)
        return body

    def reset(self) -> None:
        self.call("POST", "reset")

    def now(self) -> int:
        return int(self.call("GET", "clock")["now"])

    def advance_clock(self, seconds: int) -> int:
        """Move the server's clock forward and do what has come due; the new time."""
        return int(self.call("POST", "clock/advance", {"seconds": seconds})["now"])

    def tick(self) -> int:
        return int(self.call("POST", "tick")["now"])

    def add_fault(
        self,
        path_prefix: str = "/v1/",
        *,
        status: int | None = 500,
        times: int = 1,
        delay_ms: int = 0,
        method: str | None = None,
        after: bool = False,
        should_retry: bool | None = None,
    ) -> dict[str, Any]:
        return self.call(
            "POST",
            "faults",
            {
                "path_prefix": path_prefix,
                "status": status,
                "times": times,
                "delay_ms": delay_ms,
                "method": method,
                "after": after,
                "should_retry": should_retry,
            },
        )

    def clear_faults(self) -> None:
        self.call("DELETE", "faults")

    def decline_next(self, decline_code: str = "generic_decline", *, times: int = 1) -> None:
        self.call("POST", "decline", {"decline_code": decline_code, "times": times})

    def fail_next_refund(
        self, failure_reason: str = "expired_or_canceled_card", *, times: int = 1, after_seconds: int = 0
    ) -> None:
        self.call(
            "POST",
            "refund_failure",
            {"failure_reason": failure_reason, "times": times, "after_seconds": after_seconds},
        )

    def trigger_payout(self, currency: str = "usd", *, fail_with: str | None = None) -> dict[str, Any]:
        return self.call("POST", "payouts", {"currency": currency, "fail_with": fail_with})

    def pay(
        self,
        session_id: str,
        card: str = "4242424242424242",
        *,
        iban: str | None = None,
        email: str | None = None,
        name: str | None = None,
        expiry: str | None = None,
        cvc: str | None = None,
    ) -> dict[str, Any]:
        """Pay a checkout session as a person would on its page. Returns `paid`, `session`,
        `payment_intent`, `charge` (and `error` for a decline) — a decline is not an exception."""
        payload: dict[str, Any] = {"card": card}
        for key, value in {"iban": iban, "email": email, "name": name, "expiry": expiry, "cvc": cvc}.items():
            if value is not None:
                payload[key] = value
        status, body = self.request("POST", f"checkout/sessions/{session_id}/pay", payload)
        if status not in (200, 402) or "paid" not in body:
            raise ControlError(status, body)
        return body

    def pay_invoice(
        self,
        invoice_id: str,
        card: str = "4242424242424242",
        *,
        name: str | None = None,
        expiry: str | None = None,
        cvc: str | None = None,
    ) -> dict[str, Any]:
        """Pay an open invoice by card as a person would on its hosted page. Returns `paid`,
        `invoice`, `charge` (and `error` for a decline) — a decline is not an exception."""
        payload: dict[str, Any] = {"card": card}
        for key, value in {"name": name, "expiry": expiry, "cvc": cvc}.items():
            if value is not None:
                payload[key] = value
        status, body = self.request("POST", f"invoices/{invoice_id}/pay", payload)
        if status not in (200, 402) or "paid" not in body:
            raise ControlError(status, body)
        return body

    def counters(self) -> dict[str, Any]:
        return self.call("GET", "counters")

    def refunds_of(self, charge_id: str) -> int:
        """How many refunds the server made for a charge (to prove "refunds once")."""
        return int(self.counters()["refunds_per_charge"].get(charge_id, 0))

    def requests_to(self, method: str, path: str) -> int:
        return int(self.counters()["requests"].get(f"{method} {path}", 0))

    def webhooks(self) -> dict[str, Any]:
        return self.call("GET", "webhooks")

    def webhook_deliveries(self) -> list[dict[str, Any]]:
        return cast(list[dict[str, Any]], self.webhooks()["deliveries"])

    def set_webhook(self, url: str | None, secret: str | None = None) -> None:
        self.call("POST", "webhooks", {"url": url, "secret": secret})

    def wait_for_webhooks(self, timeout: float = 5.0) -> bool:
        """Wait until every event is delivered or given up; False on timeout."""
        return bool(self.call("POST", "webhooks/wait", {"timeout": timeout})["idle"])

    def accounts(self) -> dict[str, Any]:
        return self.call("GET", "accounts")

    def seed_charges(
        self, count: int, *, amount: int = 1000, currency: str = "usd", available: bool = True
    ) -> dict[str, Any]:
        return self.call(
            "POST",
            "seed/charges",
            {"count": count, "amount": amount, "currency": currency, "available": available},
        )

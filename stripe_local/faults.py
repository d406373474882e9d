"""Faults tests inject on purpose: an error status, a slow answer, or both, for the next requests
whose path starts with a prefix.

`after=True` does the request first and then answers with the error, as when Stripe acted but
the answer was lost: a retry with the same idempotency key gets the stored answer and changes
nothing.
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass
from typing import Any

from stripe_local.errors import ApiError


@dataclass
class Fault:
    path_prefix: str = "/v1/"
    method: str | None = None
    status: int | None = 500
    times: int = 1
    delay_ms: int = 0
    after: bool = False
    should_retry: bool | None = None

    def describe(self) -> dict[str, Any]:
        return asdict(self)

    def error(self) -> ApiError:
        status = self.status or 500
        headers = {} if self.should_retry is None else {"Stripe-Should-Retry": str(self.should_retry).lower()}
        if status == 429:
            return ApiError(
                429,
                "Too many requests hit the API too quickly. "
                "We recommend an exponential backoff of your requests.",
                code="rate_limit",
                headers=headers,
            )
        if status == 409:
            return ApiError(
                409,
                "This object cannot be accessed right now because another API request or Stripe process is "
                "currently accessing it.",
                code="lock_timeout",
                headers=headers,
            )
        if status >= 500:
            return ApiError(
                status,
                "An error occurred with our connection to Stripe "
                "(injected by the local server's fault rules).",
                type="api_error",
                headers=headers,
            )
        return ApiError(status, "Injected fault.", headers=headers)


class Faults:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[Fault] = []

    def add(self, fault: Fault) -> None:
        if fault.times < 1:
            raise ValueError("times must be at least 1")
        if fault.status is not None and not 400 <= fault.status <= 599:
            raise ValueError("status must be an HTTP error status (400-599)")
        if fault.status is None and fault.delay_ms <= 0:
            raise ValueError("a fault needs a status, a delay_ms, or both")
        with self._lock:
            self._rules.append(fault)

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def rules(self) -> list[dict[str, Any]]:
        with self._lock:
            return [rule.describe() for rule in self._rules]

    def take(self, method: str, path: str) -> Fault | None:
        """The first rule matching this request, counted as used."""
        with self._lock:
            for rule in self._rules:
                if path.startswith(rule.path_prefix) and rule.method in (None, method):
                    rule.times -= 1
                    if rule.times <= 0:
                        self._rules.remove(rule)
                    return rule
        return None

"""`ControlClient`: the double's `/_control/` API from tests or another process (stdlib only)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any, cast

_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


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

    def call(self, method: str, path: str, payload: dict[str, Any] | None = None) -> dict[str, Any]:
        data = json.dumps(payload).encode() if payload is not None else None
        # The double's own base address: http(s), given by the code that started it.
        request = urllib.request.Request(  # noqa: S310
            f"{self.url}/_control/{path.lstrip('/')}",
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        try:
            with _DIRECT.open(request, timeout=self.timeout) as answer:
                return cast(dict[str, Any], json.loads(answer.read()))
        except urllib.error.HTTPError as error:
            with error:
                raise ControlError(error.code, json.loads(error.read() or b"{}")) from None

    def reset(self) -> None:
        self.call("POST", "reset")

    def add_course(self, *, name: str, shortname: str, **extra: Any) -> dict[str, Any]:
        return cast(
            dict[str, Any],
            self.call("POST", "courses", {"name": name, "shortname": shortname, **extra})["course"],
        )

    def set_result(self, *, course_id: int, user_id: int, **result: Any) -> dict[str, Any]:
        return self.call("POST", "results", {"course_id": course_id, "user_id": user_id, **result})

    def fail(
        self,
        *,
        status: int | None = 500,
        times: int = 1,
        match: str = "",
        delay_ms: int = 0,
        rate_limit: bool = False,
    ) -> None:
        self.call(
            "POST",
            "faults",
            {
                "status": status,
                "times": times,
                "match": match,
                "delay_ms": delay_ms,
                "rate_limit": rate_limit,
            },
        )

    def set_oidc(self, *, issuer: str, client_id: str, client_secret: str, name: str = "") -> dict[str, Any]:
        """Set up Moodle's OAuth 2 sign-in with this issuer; the answer names the redirect URI."""
        body = {"issuer": issuer, "client_id": client_id, "client_secret": client_secret}
        return self.call("POST", "oidc", {**body, **({"name": name} if name else {})})

    def clear_faults(self) -> None:
        self.call("DELETE", "faults")

    def state(self) -> dict[str, Any]:
        return self.call("GET", "state")

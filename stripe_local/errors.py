"""Stripe-shaped API errors: `{"error": {"type", "code", "message", "param", ...}}` with the status
Stripe gives them, so the SDK raises the same exception it would against Stripe."""

from __future__ import annotations

from typing import Any

DOCS = "https://docs.stripe.com/error-codes"


class ApiError(Exception):
    """An answer other than 2xx. `type` is Stripe's error type (invalid_request_error, card_error,
    api_error, idempotency_error); `extra` carries card-error fields (charge, payment_intent…)."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        decline_code: str | None = None,
        extra: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.code = code
        self.param = param
        self.decline_code = decline_code
        self.extra = extra or {}
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"type": self.type, "message": self.message}
        if self.code is not None:
            error["code"] = self.code
            error["doc_url"] = f"{DOCS}#{self.code.replace('_', '-')}"
        if self.param is not None:
            error["param"] = self.param
        if self.decline_code is not None:
            error["decline_code"] = self.decline_code
        error.update(self.extra)
        return {"error": error}


def invalid(message: str, *, param: str | None = None, code: str | None = None) -> ApiError:
    return ApiError(400, message, param=param, code=code)


def missing(param: str) -> ApiError:
    return ApiError(400, f"Missing required param: {param}.", param=param, code="parameter_missing")


def unknown(param: str) -> ApiError:
    return ApiError(400, f"Received unknown parameter: {param}", param=param, code="parameter_unknown")


def no_such(object_name: str, object_id: str, *, param: str = "id") -> ApiError:
    return ApiError(404, f"No such {object_name}: '{object_id}'", param=param, code="resource_missing")

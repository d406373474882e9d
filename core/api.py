"""API plumbing shared by every app: one error shape, `{"error": {"code", "message", "fields"}}`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import MicrocredError, ValidationFailed

# PostgreSQL's bigint: every id column. A larger number can name nothing, so it is refused as
# input (raw SQL would fail on it, a save would overflow) instead of reaching the database.
BIGINT_MAX = 2**63 - 1


class IdField(serializers.IntegerField):
    """An id a client sends: a positive bigint."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", BIGINT_MAX)
        super().__init__(**kwargs)


def query_id(
    params: Mapping[str, str], name: str, *, error: type[MicrocredError] = ValidationFailed
) -> int | None:
    """An id filter from the query string: None when it is not given; `error` (a 400 naming the
    parameter) when it is not a positive bigint (`"abc"`, `"²"`, `"0"`, 2**63)."""
    raw = params.get(name)
    if not raw:
        return None
    try:
        value: int = IdField().run_validation(raw)
    except serializers.ValidationError:
        raise error(_("Some filters are not valid."), fields={name: [_("Give a number.")]}) from None
    return value


def error_body(code: str, message: str, fields: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, MicrocredError):
        return Response(error_body(exc.code, exc.message, exc.fields), status=exc.status)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    response = drf_exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return response
    if isinstance(exc, exceptions.ValidationError):
        fields = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        response.data = error_body("invalid", "Some fields are not valid.", fields)
    else:
        detail = exc.detail
        response.data = error_body(exc.default_code, str(detail))
    return response


# The error shape for the OpenAPI schema. A raw schema: a serializer cannot have a field called
# "fields".
ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "fields": {
                    "type": "object",
                    "additionalProperties": {"type": "array", "items": {"type": "string"}},
                },
            },
            "required": ["code", "message", "fields"],
        }
    },
    "required": ["error"],
}
ErrorOutput = OpenApiResponse(ERROR_SCHEMA, description="Refused or invalid: see `error.code`.")

"""Errors in each LMS's own shape.

Moodle answers every web-service error with HTTP 200 and
`{"exception": ..., "errorcode": ..., "message": ...}`; Canvas with a 4xx/5xx status and
`{"errors": [{"message": ...}]}`.
"""

from __future__ import annotations

from typing import Any


class MoodleError(Exception):
    def __init__(self, errorcode: str, message: str, *, exception: str = "moodle_exception") -> None:
        super().__init__(message)
        self.errorcode = errorcode
        self.message = message
        self.exception = exception

    def body(self) -> dict[str, Any]:
        return {"exception": self.exception, "errorcode": self.errorcode, "message": self.message}


def invalid_parameter(debuginfo: str) -> MoodleError:
    error = MoodleError(
        "invalidparameter", "Invalid parameter value detected", exception="invalid_parameter_exception"
    )
    error.message = f"Invalid parameter value detected ({debuginfo})"
    return error


class CanvasError(Exception):
    def __init__(self, status: int, message: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        return {"errors": [{"message": self.message}]}


def not_found() -> CanvasError:
    return CanvasError(404, "The specified resource does not exist.")

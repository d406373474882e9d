"""The one base of every domain error. Each app's errors.py subclasses it."""

from __future__ import annotations


class MicrocredError(Exception):
    """A refusal a person can act on: `message` is for people, `code` for programs."""

    code = "error"
    status = 400

    def __init__(
        self, message: str, *, code: str | None = None, fields: dict[str, list[str]] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.fields = fields or {}


class NotFound(MicrocredError):
    code = "not_found"
    status = 404


class ValidationFailed(MicrocredError):
    code = "invalid"
    status = 400

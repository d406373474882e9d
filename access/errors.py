"""Refusals of the access app: `message` for people, `code` for programs."""

from __future__ import annotations

from core.errors import MicrocredError


class AccessBusy(MicrocredError):
    """Another process is changing the same thing (a tenant's signing key): try again."""

    code = "access_busy"
    status = 409

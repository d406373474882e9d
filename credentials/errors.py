"""Refusals of the credentials app: `message` for people, `code` for programs."""

from __future__ import annotations

from core.errors import MicrocredError


class CredentialsBusy(MicrocredError):
    """Another change to the same credential (or status list) holds its lock: try again."""

    code = "credentials_busy"
    status = 409


class NotCompleted(MicrocredError):
    """Only a completed enrollment earns a credential."""

    code = "not_completed"
    status = 409


class StatusChangeRefused(MicrocredError):
    """The credential's status does not allow that change (e.g. reinstating a revoked one)."""

    code = "status_change_refused"
    status = 409


class ReasonRequired(MicrocredError):
    code = "reason_required"
    status = 400

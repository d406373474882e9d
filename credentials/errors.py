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


class UploadRefused(MicrocredError):
    """An uploaded credential that cannot be taken as prior learning (not JSON, too large, not an
    Open Badge or CLR, a signature that does not match, one of ours, already uploaded); `code`
    says which."""

    code = "upload_refused"
    status = 400


class DecisionRefused(MicrocredError):
    """A decision on prior learning that cannot be made (already decided, the part already
    recognised, an unverified credential accepted without saying why)."""

    code = "decision_refused"
    status = 409

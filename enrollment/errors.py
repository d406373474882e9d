"""Refusals of the enrollment engine: `message` for people, `code` for programs (the API's 409s).

Out-of-reach enrollments and offerings use tenants.errors.NotVisible (a 404).
"""

from __future__ import annotations

from core.errors import MicrocredError, ValidationFailed


class OfferingFull(MicrocredError):
    """No seat left and the offering keeps no wait-list."""

    code = "offering_full"
    status = 409


class AlreadyEnrolled(MicrocredError):
    """The learner already has an active enrollment (or wait-list place) in this offering."""

    code = "already_enrolled"
    status = 409


class EnrollmentClosed(MicrocredError):
    """Outside the enrollment window, or the offering is archived."""

    code = "enrollment_closed"
    status = 409


class TransitionRefused(MicrocredError):
    """The enrollment's state does not allow this (cancel a cancelled one, accept an expired offer)."""

    code = "transition_refused"
    status = 409


class OfferExpired(MicrocredError):
    code = "offer_expired"
    status = 409


class MoveRefused(MicrocredError):
    code = "move_refused"
    status = 409


class IdempotencyKeyReused(MicrocredError):
    """The key was first used for a different request."""

    code = "idempotency_key_reused"
    status = 422


class EnrollmentInvalid(ValidationFailed):
    code = "invalid"
    status = 400


class EnrollmentBusy(MicrocredError):
    """An offering or enrollment stayed locked by another change for too long: nothing changed;
    try again in a moment (a job retries by itself)."""

    code = "enrollment_busy"
    status = 503


class CompletionRefused(MicrocredError):
    """A completion cannot be recorded: the enrollment is not confirmed (or completed), the date
    is out of range, a correction has no reason."""

    code = "completion_refused"
    status = 409


class CompletionFileInvalid(ValidationFailed):
    """An uploaded completion file that cannot be read at all: not CSV, not UTF-8, empty, too
    large, without the needed columns. Nothing is saved."""

    code = "completion_file_invalid"
    status = 400


class BundleRefused(MicrocredError):
    """A bundle's seats cannot all be held: nothing was; the message names the part."""

    code = "bundle_refused"
    status = 409

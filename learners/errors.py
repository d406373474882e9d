"""What can go wrong signing in, checking out as a guest, and managing learners.

`message` is for people (pages and the API show it as it is), `code` for programs.
"""

from __future__ import annotations

from core.errors import MicrocredError, NotFound


class EmailUnknown(MicrocredError):
    code = "unknown_email"
    status = 400


class EmailTaken(MicrocredError):
    code = "email_taken"
    status = 409


class AccountClosed(MicrocredError):
    """The address belongs to an account an operator closed (not a deleted one: those free it)."""

    code = "account_closed"
    status = 409


class TooManyRequests(MicrocredError):
    code = "too_many_requests"
    status = 429


class CodeIncorrect(MicrocredError):
    code = "code_incorrect"
    status = 400


class CodeExpired(MicrocredError):
    code = "code_expired"
    status = 400


class CodeNotPending(MicrocredError):
    """No code is waiting in this browser: it was used already, or never asked for."""

    code = "code_not_pending"
    status = 400


class TooManyAttempts(MicrocredError):
    code = "too_many_attempts"
    status = 429


class SocialEmailUnverified(MicrocredError):
    code = "social_email_unverified"
    status = 400


class LearnerNotVisible(NotFound):
    code = "not_found"


class MergeRefused(MicrocredError):
    code = "merge_refused"
    status = 400

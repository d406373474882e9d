"""Refusals of the access app: `message` for people, `code` for programs."""

from __future__ import annotations

from core.errors import MicrocredError, NotFound


class AccessBusy(MicrocredError):
    """Another job or request is changing the same thing (an enrollment's access, a tenant's signing
    key) just now: try again."""

    code = "access_busy"
    status = 409


class RetryRefused(MicrocredError):
    """Only a failed provision can be retried."""

    code = "retry_refused"
    status = 409


class NoSuchProvision(NotFound):
    pass


class ProvisionRetry(Exception):
    """The LMS answered with a retryable error (a 5xx, a timeout, a rate limit): the job is tried
    again later, backing off. Not a MicrocredError: nobody is shown it; the roster shows the
    LMS's message, kept on the provision."""

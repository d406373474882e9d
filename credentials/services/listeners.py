"""What a recorded or corrected completion means for credentials (enrollment.extensions)."""

from __future__ import annotations

import logging

from core import jobs
from credentials.errors import NotCompleted
from credentials.services.changes import credentials_revoke_for_enrollment
from credentials.services.issue import credential_issue
from enrollment.extensions import CompletionChanged

logger = logging.getLogger(__name__)

ISSUE_TASK = "credentials.issue"
APPLY_TASK = "credentials.completion_apply"


def completion_changed(change: CompletionChanged) -> None:
    """Runs after the completion's commit. A correction revokes what the old record earned, at
    once (a first "not completed" earned nothing: there is nothing to revoke); a completion then
    asks for its credential. If the revocation cannot be done now, a job does it, and issues
    afterwards, in that order."""
    if change.corrected:
        try:
            credentials_revoke_for_enrollment(
                enrollment_id=change.enrollment_id, reason=change.reason, actor_id=change.actor_id
            )
        except Exception:  # a lock wait ran out, the database hiccupped: the job retries
            logger.exception("revoking for enrollment %s failed; sent to a job", change.enrollment_id)
            jobs.enqueue(APPLY_TASK, change.enrollment_id, change.completed, change.reason, change.actor_id)
            return
    if change.completed:
        # If the broker is down, the sweep (credentials.issue_due) finds the completed enrollment.
        jobs.enqueue(ISSUE_TASK, change.enrollment_id)


def completion_apply(*, enrollment_id: int, completed: bool, reason: str, actor_id: int | None) -> None:
    """The job's side of a correction: revoke, then issue if the enrollment is completed."""
    credentials_revoke_for_enrollment(enrollment_id=enrollment_id, reason=reason, actor_id=actor_id)
    if completed:
        try:
            credential_issue(enrollment_id=enrollment_id)
        except NotCompleted:
            return  # corrected again in the meantime

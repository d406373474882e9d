"""What a recorded or corrected completion means for credentials (enrollment.extensions)."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from core import jobs
from credentials.errors import NotCompleted
from credentials.services.changes import credentials_revoke_for_enrollment
from credentials.services.issue import credential_issue
from enrollment.extensions import CompletionChanged

logger = logging.getLogger(__name__)

ISSUE_TASK = "credentials.issue"
ISSUE_MANY_TASK = "credentials.issue_many"  # args: a list of enrollment ids
APPLY_TASK = "credentials.completion_apply"
BATCH = 100  # enrollments per issue_many job


def completion_changed(change: CompletionChanged) -> None:
    """Runs after the completion's commit. A correction revokes what the old record earned, at
    once (a first "not completed" earned nothing: there is nothing to revoke); a completion then
    asks for its credential. If the revocation cannot be done now, a job does it, and issues
    afterwards, in that order."""
    if _revoked_first(change) and change.completed:
        # If the broker is down, the sweep (credentials.issue_due) finds the completed enrollment.
        jobs.enqueue(ISSUE_TASK, change.enrollment_id)


def completions_changed(changes: Sequence[CompletionChanged]) -> None:
    """completion_changed for the changes one commit made together (a completion file): the
    credentials are asked for in jobs of up to BATCH enrollments (credentials.issue_many)."""
    wanted = [c.enrollment_id for c in changes if _revoked_first(c) and c.completed]
    for start in range(0, len(wanted), BATCH):
        jobs.enqueue(ISSUE_MANY_TASK, wanted[start : start + BATCH])


def _revoked_first(change: CompletionChanged) -> bool:
    """A correction's revocation, done now; False when it was sent to a job (which issues after)."""
    if change.corrected:
        try:
            credentials_revoke_for_enrollment(
                enrollment_id=change.enrollment_id, reason=change.reason, actor_id=change.actor_id
            )
        except Exception:  # a lock wait ran out, the database hiccupped: the job retries
            logger.exception("revoking for enrollment %s failed; sent to a job", change.enrollment_id)
            jobs.enqueue(APPLY_TASK, change.enrollment_id, change.completed, change.reason, change.actor_id)
            return False
    return True


def completion_apply(*, enrollment_id: int, completed: bool, reason: str, actor_id: int | None) -> None:
    """The job's side of a correction: revoke, then issue if the enrollment is completed."""
    credentials_revoke_for_enrollment(enrollment_id=enrollment_id, reason=reason, actor_id=actor_id)
    if completed:
        try:
            credential_issue(enrollment_id=enrollment_id)
        except NotCompleted:
            return  # corrected again in the meantime

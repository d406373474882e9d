"""What a recorded or corrected completion means for credentials (enrollment.extensions)."""

from __future__ import annotations

from core import jobs
from credentials.services.changes import credentials_revoke_for_enrollment
from enrollment.extensions import CompletionChanged

ISSUE_TASK = "credentials.issue"


def completion_changed(change: CompletionChanged) -> None:
    """Runs after the completion's commit. A correction first revokes what the old record
    earned; a completion (first or corrected) then asks for the credential."""
    if change.corrected or not change.completed:
        credentials_revoke_for_enrollment(
            enrollment_id=change.enrollment_id, reason=change.reason, actor_id=change.actor_id
        )
    if change.completed:
        # Sent at once (this runs after the commit); if the broker is down, the sweep
        # (credentials.issue_due) finds the completed enrollment without a credential.
        jobs.enqueue(ISSUE_TASK, change.enrollment_id)

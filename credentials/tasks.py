"""Celery entry points of credentials: thin, idempotent, retried a bounded number of times."""

from __future__ import annotations

from celery import shared_task

from core import jobs
from core.errors import NotFound
from credentials.errors import CredentialsBusy, NotCompleted
from credentials.services import issue, issue_batch, listeners, stacks
from credentials.services.sweep import enrollments_without_credential


@shared_task(
    name=listeners.ISSUE_TASK,
    acks_late=True,
    autoretry_for=(CredentialsBusy,),
    retry_backoff=True,
    max_retries=5,
)
def credential_issue(enrollment_id: int) -> bool:
    """The completed enrollment's credential, issued once however often this runs. False when
    there is nothing to issue (the enrollment is gone, or no longer completed)."""
    try:
        issue.credential_issue(enrollment_id=enrollment_id)
    except (NotCompleted, NotFound):
        return False
    return True


@shared_task(
    name=listeners.ISSUE_MANY_TASK,
    acks_late=True,
    autoretry_for=(CredentialsBusy,),
    retry_backoff=True,
    max_retries=5,
)
def credentials_issue_many(enrollment_ids: list[int]) -> int:
    """The credentials of these enrollments (a completion file's), each issued once however often
    this runs; how many were issued now (those not completed or issued already are skipped)."""
    return len(issue_batch.credentials_issue_batch(enrollment_ids=enrollment_ids))


@shared_task(
    name=listeners.APPLY_TASK,
    acks_late=True,
    autoretry_for=(CredentialsBusy,),
    retry_backoff=True,
    max_retries=8,
)
def completion_apply(enrollment_id: int, completed: bool, reason: str, actor_id: int | None) -> None:
    """A correction whose revocation could not be done after its commit."""
    listeners.completion_apply(
        enrollment_id=enrollment_id, completed=completed, reason=reason, actor_id=actor_id
    )


@shared_task(name="credentials.issue_due", acks_late=True)
def credentials_issue_due() -> int:
    """The sweep: completed enrollments that never got a credential get their job again (in
    batches, as a completion file's)."""
    due = enrollments_without_credential()
    for start in range(0, len(due), listeners.BATCH):
        jobs.enqueue(listeners.ISSUE_MANY_TASK, due[start : start + listeners.BATCH])
    return len(due)


@shared_task(
    name=stacks.CHECK_TASK,
    acks_late=True,
    autoretry_for=(CredentialsBusy,),
    retry_backoff=True,
    max_retries=8,
)
def stacks_check(tenant_id: int, learner_id: int) -> int:
    """Award the stacks the learner has done every part of, revoke those they no longer have;
    how many credentials were issued or revoked."""
    result = stacks.stacks_check(tenant_id=tenant_id, learner_id=learner_id)
    return len(result.awarded) + len(result.revoked)


@shared_task(name="credentials.stacks_due", acks_late=True)
def stacks_due() -> int:
    """The sweep: learners whose stacks are not what their parts say get a check."""
    due = stacks.learners_due()
    for tenant_id, learner_id in due:
        jobs.enqueue(stacks.CHECK_TASK, tenant_id, learner_id)
    return len(due)

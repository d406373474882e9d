"""Asking for a stacks check (credentials.services.stacks) after a part's credential changes.

Apart from the stacks service so that issuing and status changes, which the stacks service uses,
can ask for it without an import circle.
"""

from __future__ import annotations

from django.db.models import Q

from catalog.models import Microcredential, PublicationStatus
from core.jobs import enqueue_after_commit

CHECK_TASK = "credentials.stacks_check"  # args: tenant_id, learner_id


def is_stack_part(microcredential_id: int) -> bool:
    """Whether the microcredential is a part of a stack that can be awarded (not a draft)."""
    return Microcredential.objects.filter(
        Q(parts__pk=microcredential_id), ~Q(status=PublicationStatus.DRAFT)
    ).exists()


def stacks_check_ask(*, tenant_id: int, learner_id: int, microcredential_id: int) -> None:
    """After the caller's commit, check the learner's stacks, if this microcredential is a part."""
    if is_stack_part(microcredential_id):
        enqueue_after_commit(CHECK_TASK, tenant_id, learner_id)

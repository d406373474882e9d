"""Issuing the credential a completed enrollment earns: exactly once, however often asked.

The enrollment row is locked first, so retries and concurrent jobs for one enrollment run one
after the other; the one that finds a live credential returns it. The database's partial unique
index (one live achievement credential per enrollment) is the backstop.
"""

from __future__ import annotations

import uuid

from django.db import transaction
from django.utils import timezone

from core.errors import NotFound
from credentials import hooks
from credentials.errors import NotCompleted
from credentials.models import (
    LIVE,
    Credential,
    CredentialEvent,
    CredentialKind,
    MessageKind,
)
from credentials.services import proof
from credentials.services.builder import open_badge_credential
from credentials.services.keys import signing_key
from credentials.services.locks import lock_enrollment
from credentials.services.messages import message_queue
from credentials.services.stack_jobs import stacks_check_ask
from credentials.services.status import iso, status_index_take
from enrollment.models import CompletionOutcome, Enrollment, EnrollmentStatus
from enrollment.services.completion import current_record


def credential_issue(*, enrollment_id: int) -> Credential:
    """The enrollment's live credential, issued now if it has none. NotFound when the enrollment
    does not exist; NotCompleted when it is not completed (nothing to issue).

    The status index is taken first, in a transaction of its own: that UPDATE locks the unit's
    status list row to its commit, and every credential of the unit needs it, so it is not held
    while this one is built and signed. A job that then finds the credential issued by a
    concurrent one leaves its index unused (a bit never set: harmless)."""
    found = (
        Enrollment.objects.select_related("offering__microcredential__unit").filter(pk=enrollment_id).first()
    )
    if found is None:
        raise NotFound("No such enrollment.")
    live = _live(found)
    if live is not None:
        return live
    if found.status != EnrollmentStatus.COMPLETED:
        raise NotCompleted("Only a completed enrollment earns a credential.")
    unit = found.offering.microcredential.unit  # the issuer, whose list the index is in
    with transaction.atomic():
        index = status_index_take(unit=unit)
    with transaction.atomic():
        enrollment = lock_enrollment(enrollment_id=enrollment_id)
        if enrollment is None:
            raise NotFound("No such enrollment.")
        live = _live(enrollment)
        if live is not None:
            return live
        if enrollment.status != EnrollmentStatus.COMPLETED:
            raise NotCompleted("Only a completed enrollment earns a credential.")
        microcredential = enrollment.offering.microcredential
        key = signing_key(unit=unit)
        now = timezone.now()
        public_id = uuid.uuid4()
        completion = current_record(enrollment.pk)
        completed = completion is not None and completion.outcome == CompletionOutcome.COMPLETED
        document = open_badge_credential(
            public_id=public_id,
            microcredential=microcredential,
            learner=enrollment.learner,
            status_index=index,
            valid_from=now,
            result=completion.result if completion is not None and completed else "",
            credits_earned=completion.credit_value if completion is not None and completed else None,
        )
        signed = proof.sign(
            document,
            private_key=key.private_key,
            verification_method=key.verification_method,
            created=iso(now),
        )
        credential = Credential.objects.create(
            public_id=public_id,
            tenant_id=enrollment.tenant_id,
            unit=unit,
            learner=enrollment.learner,
            microcredential=microcredential,
            kind=CredentialKind.ACHIEVEMENT,
            enrollment=enrollment,
            key=key.key,
            document=signed,
            status_index=index,
            issued_at=now,
        )
        CredentialEvent.objects.create(
            tenant_id=credential.tenant_id, credential=credential, action="issued", at=now
        )
        message_queue(credential=credential, kind=MessageKind.ISSUED)
        hooks.issued([credential])
        stacks_check_ask(
            tenant_id=credential.tenant_id,
            learner_id=credential.learner_id,
            microcredential_id=microcredential.pk,
        )
    return credential


def _live(enrollment: Enrollment) -> Credential | None:
    return Credential.objects.filter(
        enrollment=enrollment, kind=CredentialKind.ACHIEVEMENT, status__in=LIVE
    ).first()

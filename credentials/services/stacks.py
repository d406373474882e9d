"""Stacked microcredentials: awarded once every part is done, revoked when a part no longer is.

A stack is a microcredential with `parts` (catalog). A learner has done a part when they hold a
live credential for it (an achievement, or the stack credential of a part that is itself a
stack) on this tenant, or unit staff accepted another institution's credential for it
(Recognition). Parts are done in any order and from any offering: only the microcredential
counts. When the last one is done, the stack's unit issues a credential of kind STACK whose
criteria and `evidence` name the parts and what proved each one.

`stacks_check` is the one entry point (the job `credentials.stacks_check`, asked for after a
credential is issued or revoked and after a recognition is accepted; the sweep
`credentials.stacks_due` finds what a lost job missed, and stacks published after their parts
were done). It runs one at a time per learner and tenant (an advisory lock), so retries and
concurrent jobs award a stack once; the partial unique index "one live stack credential per
learner and microcredential" is the backstop.

A stack in draft is not awarded; an archived one still is (its parts were earned).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import Microcredential, PublicationStatus
from credentials import hooks
from credentials.links import share_url
from credentials.models import (
    LIVE,
    Credential,
    CredentialEvent,
    CredentialKind,
    MessageKind,
    Recognition,
    RecognitionStatus,
)
from credentials.services import proof
from credentials.services.builder import open_badge_credential
from credentials.services.changes import revoke_locked
from credentials.services.keys import signing_key
from credentials.services.locks import lock_learner_stacks
from credentials.services.messages import message_queue
from credentials.services.stack_jobs import CHECK_TASK as CHECK_TASK
from credentials.services.status import iso, status_index_take
from identity.models import User


@dataclass(frozen=True)
class Proof:
    """What shows that a learner did one part."""

    microcredential_id: int
    credential: Credential | None  # their live credential for it, or
    recognition: Recognition | None  # another institution's, accepted by staff


def parts_done(*, tenant_id: int, learner_id: int) -> dict[int, Proof]:
    """Microcredential id → what proves the learner did it, on this tenant."""
    done: dict[int, Proof] = {}
    for recognition in Recognition.objects.filter(
        tenant_id=tenant_id, learner_id=learner_id, status=RecognitionStatus.ACCEPTED, part__isnull=False
    ).order_by("decided_at", "pk"):
        if recognition.part_id is not None:
            done[recognition.part_id] = Proof(recognition.part_id, None, recognition)
    # A credential of our own is the better proof: it replaces a recognition for the same part.
    for credential in (
        Credential.objects.filter(tenant_id=tenant_id, learner_id=learner_id, status__in=LIVE)
        .select_related("tenant")
        .order_by("issued_at", "pk")
    ):
        mc_id = credential.microcredential_id
        if mc_id not in done or done[mc_id].credential is None:
            done[mc_id] = Proof(mc_id, credential, None)
    return done


def _stacks_touching(tenant_id: int, part_ids: set[int]) -> list[Microcredential]:
    return list(
        Microcredential.objects.filter(tenant_id=tenant_id, parts__in=part_ids)
        .exclude(status=PublicationStatus.DRAFT)
        .distinct()
        .select_related("unit__tenant", "tenant")
        .prefetch_related("parts")
    )


@dataclass(frozen=True)
class CheckResult:
    awarded: list[Credential]
    revoked: list[Credential]


def stacks_check(*, tenant_id: int, learner_id: int) -> CheckResult:
    """Award the learner every stack whose parts are all done and revoke every stack credential
    of theirs a part of which no longer is; repeated until nothing changes (a stack may be a
    part of another)."""
    awarded: list[Credential] = []
    revoked: list[Credential] = []
    learner = User.objects.filter(pk=learner_id).first()
    if learner is None:
        return CheckResult(awarded, revoked)
    for _round in range(10):  # stacks nest a few levels at most; a cycle in the catalog stops here
        changed = False
        with transaction.atomic():
            lock_learner_stacks(tenant_id=tenant_id, learner_id=learner_id)
            broken = _revoke_broken(tenant_id, learner_id)
            revoked += broken
            changed = bool(broken)
        due = _due(tenant_id, learner_id)
        for stack in due:
            credential = _award(stack=stack, learner=learner)
            if credential is not None:
                awarded.append(credential)
                changed = True
        if not changed:
            break
    return CheckResult(awarded, revoked)


def _due(tenant_id: int, learner_id: int) -> list[Microcredential]:
    done = parts_done(tenant_id=tenant_id, learner_id=learner_id)
    held = {pid for pid, p in done.items() if p.credential is not None}
    return [
        stack
        for stack in _stacks_touching(tenant_id, set(done))
        if stack.pk not in held and {part.pk for part in stack.parts.all()} <= set(done)
    ]


def _revoke_broken(tenant_id: int, learner_id: int) -> list[Credential]:
    """Inside the learner's stack lock: revoke live stack credentials missing a part."""
    done = parts_done(tenant_id=tenant_id, learner_id=learner_id)
    revoked = []
    stacks = (
        Credential.objects.select_for_update(of=("self",))
        .filter(tenant_id=tenant_id, learner_id=learner_id, kind=CredentialKind.STACK, status__in=LIVE)
        .select_related("unit__tenant", "microcredential")
        .prefetch_related("microcredential__parts")
    )
    for credential in stacks:
        missing = [p for p in credential.microcredential.parts.all() if p.pk not in done]
        if missing:
            reason = _("A part of this stack no longer counts: %(parts)s.") % {
                "parts": ", ".join(p.title for p in missing)
            }
            revoked.append(revoke_locked(credential, reason=reason[:500]))
    return revoked


def _evidence(stack: Microcredential, done: dict[int, Proof]) -> list[dict[str, Any]]:
    evidence = []
    for part in sorted(stack.parts.all(), key=lambda p: p.title):
        found = done[part.pk]
        if found.credential is not None:
            evidence.append(
                {
                    "id": share_url(found.credential),
                    "type": ["Evidence"],
                    "name": part.title,
                    "description": _("Completed: the credential urn:uuid:%(id)s.")
                    % {"id": found.credential.public_id},
                    "genre": "Credential",
                }
            )
        elif found.recognition is not None:
            recognition = found.recognition
            issuer = recognition.issuer_name or recognition.issuer_id or _("another institution")
            evidence.append(
                {
                    "type": ["Evidence"],
                    "name": part.title,
                    "description": _("Recognised prior learning: %(what)s from %(issuer)s.")
                    % {
                        "what": recognition.achievement_name or _("a credential"),
                        "issuer": issuer,
                    },
                    "genre": "Recognition of prior learning",
                }
            )
    return evidence


def _award(*, stack: Microcredential, learner: User) -> Credential | None:
    """Issue the stack's credential, unless it is not (or no longer) due. The status index is taken
    first in its own transaction, as for achievements (credentials.services.issue)."""
    unit = stack.unit
    with transaction.atomic():
        index = status_index_take(unit=unit)
    with transaction.atomic():
        lock_learner_stacks(tenant_id=stack.tenant_id, learner_id=learner.pk)
        if Credential.objects.filter(learner=learner, microcredential=stack, status__in=LIVE).exists():
            return None  # held already (its stack credential, or completed as a course of its own)
        done = parts_done(tenant_id=stack.tenant_id, learner_id=learner.pk)
        parts = list(stack.parts.all())
        if not parts or any(part.pk not in done for part in parts):
            return None
        key = signing_key(unit=unit)
        now = timezone.now()
        public_id = uuid.uuid4()
        document = open_badge_credential(
            public_id=public_id, microcredential=stack, learner=learner, status_index=index, valid_from=now
        )
        names = "; ".join(sorted(p.title for p in parts))
        criteria = document["credentialSubject"]["achievement"]["criteria"]
        criteria["narrative"] = (
            _("Awarded for completing every part of this stack: %(parts)s.") % {"parts": names}
            + "\n"
            + criteria["narrative"]
        ).strip()
        document["evidence"] = _evidence(stack, done)
        signed = proof.sign(
            document,
            private_key=key.private_key,
            verification_method=key.verification_method,
            created=iso(now),
        )
        credential = Credential.objects.create(
            public_id=public_id,
            tenant_id=stack.tenant_id,
            unit=unit,
            learner=learner,
            microcredential=stack,
            kind=CredentialKind.STACK,
            enrollment=None,
            key=key.key,
            document=signed,
            status_index=index,
            issued_at=now,
        )
        CredentialEvent.objects.create(
            tenant_id=stack.tenant_id, credential=credential, action="issued", at=now
        )
        message_queue(credential=credential, kind=MessageKind.ISSUED)
        hooks.issued([credential])
    return credential


def learners_due(*, limit: int = 500) -> list[tuple[int, int]]:
    """(tenant_id, learner_id) of learners who have done every part of a stack they do not hold,
    or hold a stack credential a part of which they no longer have: what a lost job missed."""
    found: set[tuple[int, int]] = set()
    stacks = (
        Microcredential.objects.annotate(n=Count("parts"))
        .filter(n__gt=0)
        .exclude(status=PublicationStatus.DRAFT)
        .prefetch_related("parts")
    )
    for stack in stacks:
        part_ids = {p.pk for p in stack.parts.all()}
        have: dict[int, set[int]] = defaultdict(set)
        for learner_id, mc_id in Credential.objects.filter(
            tenant_id=stack.tenant_id, microcredential_id__in=part_ids, status__in=LIVE
        ).values_list("learner_id", "microcredential_id"):
            have[learner_id].add(mc_id)
        for learner_id, mc_id in Recognition.objects.filter(
            tenant_id=stack.tenant_id, part_id__in=part_ids, status=RecognitionStatus.ACCEPTED
        ).values_list("learner_id", "part_id"):
            if mc_id is not None:
                have[learner_id].add(mc_id)
        live = Credential.objects.filter(microcredential=stack, status__in=LIVE)
        holders = set(live.values_list("learner_id", flat=True))
        stack_holders = set(live.filter(kind=CredentialKind.STACK).values_list("learner_id", flat=True))
        complete = {learner_id for learner_id, got in have.items() if got >= part_ids}
        for learner_id in (complete - holders) | (stack_holders - complete):
            found.add((stack.tenant_id, learner_id))
            if len(found) >= limit:
                return sorted(found)
    return sorted(found)

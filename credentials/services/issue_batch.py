"""Issuing the credentials of many completed enrollments at once (a completion file, the sweep).

The same credentials, each exactly once, as `credential_issue` one by one, for less:

1. read the enrollments, their current completion records and the live credentials they have
   (three queries for the batch); those with one, or not completed, are left out;
2. per issuer (unit): take one status index each in one UPDATE, in a transaction of its own;
3. build and sign every document in Python, no lock held: the achievement and the issuer profile
   are built once per batch, the proof options canonicalized once, and each document's
   canonical form comes from a `proof.Template` per microcredential and shape (checked against a
   full canonicalization of its first document; a template that disagrees is not used);
4. one transaction: lock the enrollments in id order, leave out any that changed meanwhile (no
   longer completed, given a live credential, or given another completion record), then write the
   credentials, their events and their e-mails' outbox rows with bulk_create, and ask for one
   e-mail job for the batch and the stacks checks after commit.

An index taken for a credential that is then left out is never used (a bit never set: harmless).
Running the same batch again issues nothing twice: step 1 finds the live credentials.
"""

from __future__ import annotations

import logging
import secrets
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from catalog.models import Microcredential
from core.jobs import enqueue_after_commit
from credentials import hooks
from credentials.errors import CredentialsBusy
from credentials.models import (
    LIVE,
    Credential,
    CredentialEvent,
    CredentialKind,
    CredentialMessage,
    MessageKind,
)
from credentials.services import proof
from credentials.services.builder import achievement, identity_hash, open_badge_credential
from credentials.services.keys import SigningKey, issuer_profile, signing_key
from credentials.services.locks import lock_enrollments
from credentials.services.messages import SEND_MANY_TASK
from credentials.services.stack_jobs import CHECK_TASK, is_stack_part
from credentials.services.status import iso, status_indexes_take
from enrollment.models import CompletionOutcome, CompletionRecord, Enrollment, EnrollmentStatus
from identity.models import User
from tenants.mail import site_url
from tenants.models import Unit

logger = logging.getLogger(__name__)

# Placeholders of a template (unique: a random part per batch), standing for a credential's own values.
_ID, _INDEX, _SALT, _HASH, _NAME, _RESULT = "id", "index", "salt", "hash", "name", "result"


@dataclass
class _Planned:
    enrollment: Enrollment
    record: CompletionRecord | None
    public_id: uuid.UUID
    index: int
    document: dict[str, Any]


def credentials_issue_batch(*, enrollment_ids: Sequence[int]) -> list[Credential]:
    """The credentials issued now for those of the enrollments that are completed and have no
    live credential (none for the others: not found, not completed, or issued already)."""
    ids = sorted(set(enrollment_ids))
    if not ids:
        return []
    enrollments = list(
        Enrollment.objects.select_related("offering__microcredential__unit__tenant", "learner")
        .filter(pk__in=ids, status=EnrollmentStatus.COMPLETED)
        .order_by("pk")
    )
    live = _live_among([e.pk for e in enrollments])
    todo = [e for e in enrollments if e.pk not in live]
    if not todo:
        return []
    records = _current_records([e.pk for e in todo])
    now = timezone.now()
    by_unit: dict[int, list[Enrollment]] = defaultdict(list)
    for enrollment in todo:
        by_unit[enrollment.offering.microcredential.unit_id].append(enrollment)
    planned: list[tuple[SigningKey, list[_Planned]]] = []
    for group in by_unit.values():
        unit = group[0].offering.microcredential.unit
        with transaction.atomic():  # the list's row is locked only for this UPDATE
            indexes = status_indexes_take(unit=unit, count=len(group))
        key = signing_key(unit=unit)
        planned.append((key, _sign_all(unit, key, group, indexes, records, now)))
    return _store(planned, now)


def _live_among(enrollment_ids: list[int]) -> set[int]:
    return set(
        Credential.objects.filter(
            enrollment_id__in=enrollment_ids, kind=CredentialKind.ACHIEVEMENT, status__in=LIVE
        ).values_list("enrollment_id", flat=True)
    )


def _current_records(enrollment_ids: list[int]) -> dict[int, CompletionRecord]:
    """Each enrollment's current completion record (the newest: completion.current_record's rule)."""
    return {
        r.enrollment_id: r
        for r in CompletionRecord.objects.filter(enrollment_id__in=enrollment_ids)
        .order_by("enrollment_id", "-pk")
        .distinct("enrollment_id")
    }


def _earned(record: CompletionRecord | None) -> tuple[str, Decimal | None]:
    """What the credential says of the completion: its result and credits (when completed)."""
    if record is None or record.outcome != CompletionOutcome.COMPLETED:
        return "", None
    return record.result, record.credit_value


class _Templates:
    """One proof.Template per microcredential and document shape (name or not, result or not,
    the credits earned), each checked once against a full canonicalization."""

    def __init__(self, unit: Unit, now: datetime) -> None:
        self.unit = unit
        self.now = now
        nonce = secrets.token_hex(8)
        self.tokens = {
            _ID: f"00000000-0000-4000-8000-{nonce[:12]}",
            _INDEX: str(9_000_000_000_000 + int(nonce[:8], 16)),
            _SALT: f"salt{nonce}",
            _HASH: f"sha256$hash{nonce}",
            _NAME: f"name{nonce}",
            _RESULT: f"result{nonce}",
        }
        self.site = site_url(unit.tenant)
        self.issuer = issuer_profile(unit=unit)
        self._achievements: dict[int, dict[str, Any]] = {}
        # shape → template; None: this shape's template disagreed, canonicalize in full.
        self._templates: dict[tuple[Any, ...], proof.Template | None] = {}

    def achievement(self, microcredential: Microcredential) -> dict[str, Any]:
        if microcredential.pk not in self._achievements:
            self._achievements[microcredential.pk] = achievement(microcredential, site=self.site)
        return self._achievements[microcredential.pk]

    def document(
        self,
        microcredential: Microcredential,
        *,
        public_id: uuid.UUID,
        learner: User,
        index: int,
        salt: str,
        hashed_identity: str,
        result: str,
        credits: Decimal | None,
    ) -> dict[str, Any]:
        return open_badge_credential(
            public_id=public_id,
            microcredential=microcredential,
            learner=learner,
            status_index=index,
            valid_from=self.now,
            salt=salt,
            result=result,
            credits_earned=credits,
            achievement_body=self.achievement(microcredential),
            issuer=self.issuer,
            hashed_identity=hashed_identity,
        )

    def canonical(
        self, microcredential: Microcredential, document: dict[str, Any], values: dict[str, str]
    ) -> str:
        """The document's canonical N-Quads (values: placeholder name → this document's value)."""
        has_name = bool(values[_NAME])
        has_result = bool(values[_RESULT])
        subject = document["credentialSubject"]
        shape = (microcredential.pk, has_name, has_result, subject.get("creditsEarned"))
        by_token = {self.tokens[name]: value for name, value in values.items()}
        if shape not in self._templates:
            template = self._template(microcredential, has_name, has_result, subject.get("creditsEarned"))
            full = proof.canonicalize(document)
            if template is not None and template.nquads(by_token) != full:
                logger.error(
                    "the batch template of microcredential %s disagrees with its document; "
                    "canonicalizing each in full",
                    microcredential.pk,
                )
                template = None
            self._templates[shape] = template
            return full
        template = self._templates[shape]
        return template.nquads(by_token) if template is not None else proof.canonicalize(document)

    def _template(
        self, microcredential: Microcredential, has_name: bool, has_result: bool, credits: Any
    ) -> proof.Template | None:
        t = self.tokens
        document = self.document(
            microcredential,
            public_id=uuid.UUID(t[_ID]),
            learner=User(email="", full_name=t[_NAME] if has_name else ""),
            index=int(t[_INDEX]),
            salt=t[_SALT],
            hashed_identity=t[_HASH],
            result=t[_RESULT] if has_result else "",
            credits=Decimal(str(credits)) if credits is not None else None,
        )
        used = [t[_ID], t[_INDEX], t[_SALT], t[_HASH]]
        used += [t[_NAME]] if has_name else []
        used += [t[_RESULT]] if has_result else []
        try:
            return proof.Template(document, used)
        except (proof.ProofError, ValueError):
            logger.exception("no batch template for microcredential %s", microcredential.pk)
            return None


def _sign_all(
    unit: Unit,
    key: SigningKey,
    group: list[Enrollment],
    indexes: list[int],
    records: dict[int, CompletionRecord],
    now: datetime,
) -> list[_Planned]:
    templates = _Templates(unit, now)
    created = iso(now)
    options_hashes: dict[str, bytes] = {}
    planned = []
    for enrollment, index in zip(group, indexes, strict=True):
        microcredential = enrollment.offering.microcredential
        learner = enrollment.learner
        record = records.get(enrollment.pk)
        result, credits = _earned(record)
        public_id = uuid.uuid4()
        salt = secrets.token_hex(16)
        hashed = identity_hash(learner.email, salt)
        document = templates.document(
            microcredential,
            public_id=public_id,
            learner=learner,
            index=index,
            salt=salt,
            hashed_identity=hashed,
            result=result,
            credits=credits,
        )
        values = {
            _ID: str(public_id),
            _INDEX: str(index),
            _SALT: salt,
            _HASH: hashed,
            _NAME: learner.full_name.strip(),
            _RESULT: result if result else "",
        }
        context_key = repr(document["@context"])
        if context_key not in options_hashes:
            options_hashes[context_key] = proof.options_digest(
                context=document["@context"], verification_method=key.verification_method, created=created
            )
        signed = proof.sign_canonical(
            document,
            canonical=templates.canonical(microcredential, document, values),
            options_hash=options_hashes[context_key],
            private_key=key.private_key,
            verification_method=key.verification_method,
            created=created,
        )
        planned.append(_Planned(enrollment, record, public_id, index, signed))
    return planned


def _store(planned: list[tuple[SigningKey, list[_Planned]]], now: datetime) -> list[Credential]:
    everything = [p for _key, group in planned for p in group]
    try:
        with transaction.atomic():
            statuses = lock_enrollments(enrollment_ids=[p.enrollment.pk for p in everything])
            live = _live_among(list(statuses))
            # Changed since it was read (corrected, issued by another job): leave it to that.
            still = _current_records(list(statuses))
            credentials: list[Credential] = []
            for key, group in planned:
                for p in group:
                    pk = p.enrollment.pk
                    record_now = still.get(pk)
                    if (
                        statuses.get(pk) != EnrollmentStatus.COMPLETED
                        or pk in live
                        or (record_now.pk if record_now else None) != (p.record.pk if p.record else None)
                    ):
                        continue
                    e = p.enrollment
                    credentials.append(
                        Credential(
                            public_id=p.public_id,
                            tenant_id=e.tenant_id,
                            unit=e.offering.microcredential.unit,
                            learner=e.learner,
                            microcredential=e.offering.microcredential,
                            kind=CredentialKind.ACHIEVEMENT,
                            enrollment=e,
                            key=key.key,
                            document=p.document,
                            status_index=p.index,
                            issued_at=now,
                        )
                    )
            if not credentials:
                return []
            Credential.objects.bulk_create(credentials)
            CredentialEvent.objects.bulk_create(
                [
                    CredentialEvent(tenant_id=c.tenant_id, credential=c, action="issued", at=now)
                    for c in credentials
                ]
            )
            messages = CredentialMessage.objects.bulk_create(
                [
                    CredentialMessage(
                        tenant_id=c.tenant_id, credential=c, kind=MessageKind.ISSUED, created_at=now
                    )
                    for c in credentials
                ]
            )
            enqueue_after_commit(SEND_MANY_TASK, [m.pk for m in messages])
            hooks.issued(credentials)
            parts: dict[int, bool] = {}
            asked: set[tuple[int, int]] = set()
            for c in credentials:
                if c.microcredential_id not in parts:
                    parts[c.microcredential_id] = is_stack_part(c.microcredential_id)
                if parts[c.microcredential_id] and (c.tenant_id, c.learner_id) not in asked:
                    asked.add((c.tenant_id, c.learner_id))
                    enqueue_after_commit(CHECK_TASK, c.tenant_id, c.learner_id)
    except IntegrityError as exc:  # a write that bypassed the enrollment locks: the job retries
        raise CredentialsBusy("Credentials were issued meanwhile; try again.") from exc
    return credentials

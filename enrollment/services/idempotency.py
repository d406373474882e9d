"""`Idempotency-Key`: a retried request gets the first answer, and what it asked for happens once.

One path for every POST that takes it (the enrollment API and page, staff enrolments and actions,
refunds and cancellations): `answer_once`. The work runs in one transaction with the answer it
rendered stored last (an IdempotencyRecord, through the ORM), so a lock the work took is held
only for that one INSERT more. A retry does the work's own checks first; for an enrollment that
already exists they refuse ("already enrolled"), the transaction rolls back, and the stored first
answer is replayed instead of the refusal. Two copies of a request racing each other: the second
waits on the first's unique index entries (the enrollment, the key), fails when the first
commits, rolls back, and replays its answer. A refused request stores nothing (it changed
nothing), so its retry is simply asked again. A key first used for another request is a 422,
and whatever the second request did is rolled back.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import MicrocredError
from enrollment.errors import EnrollmentInvalid, IdempotencyKeyReused
from enrollment.models import IdempotencyRecord
from identity.models import User
from tenants.models import Tenant

KEEP_FOR = timedelta(hours=24)
MAX_KEY_LENGTH = 255


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any]
    replayed: bool = False


def fingerprint(*parts: Any) -> str:
    """What the request asked for (method, path, parsed body): a retry has the same one."""
    raw = json.dumps(parts, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(raw.encode()).hexdigest()


def clean_key(key: str) -> str:
    if not key or len(key) > MAX_KEY_LENGTH or not key.isascii() or not key.isprintable():
        message = _("An Idempotency-Key is 1 to 255 printable ASCII characters, like a UUID.")
        raise EnrollmentInvalid(message, fields={"Idempotency-Key": [message]})
    return key


KEY_UNIQUE = "idempotency_key_unique"


class KeyTaken(Exception):
    """The key already has an answer: undo this request's work."""


def idempotent(
    *,
    tenant: Tenant,
    user: User,
    key: str,
    request_fingerprint: str,
    run: Callable[[], Answer],
) -> Answer:
    """Run `run` once per (tenant, user, key), in one transaction with its answer's record;
    later calls replay that answer (`replayed`)."""
    key = clean_key(key)
    try:
        with transaction.atomic():
            answer = run()
            _store(tenant=tenant, user=user, key=key, request_fingerprint=request_fingerprint, answer=answer)
        return answer
    except (KeyTaken, MicrocredError) as exc:
        first = IdempotencyRecord.objects.filter(tenant=tenant, user=user, key=key).first()
        if first is None:
            raise
        if first.fingerprint != request_fingerprint:
            raise IdempotencyKeyReused(
                _("This Idempotency-Key was already used for a different request; use a new key.")
            ) from exc
        return Answer(first.status_code or 200, first.body or {}, replayed=True)


def _store(*, tenant: Tenant, user: User, key: str, request_fingerprint: str, answer: Answer) -> None:
    """The record, as the transaction's last write. A key already answered fails it on the
    key's unique index (KeyTaken): the transaction, and what the work wrote, roll back."""
    try:
        IdempotencyRecord.objects.create(
            tenant=tenant,
            user=user,
            key=key,
            fingerprint=request_fingerprint,
            status_code=answer.status,
            body=answer.body,
            created_at=timezone.now(),
        )
    except IntegrityError as exc:
        if KEY_UNIQUE in str(exc):
            raise KeyTaken from exc
        raise


def answer_once(
    *,
    tenant: Tenant,
    user: User,
    key: str | None,
    request_fingerprint: str,
    run: Callable[[], Answer],
) -> Answer:
    """The one way a POST that moves money or seats honours `Idempotency-Key` (enrolling through
    the API or the enroll page, staff enrollment and its actions, the learner's enrollment
    actions, refunds, cancellations): without a key, `run` simply runs; with one, `idempotent`
    runs it once and replays its first answer."""
    if key is None:
        return run()
    return idempotent(tenant=tenant, user=user, key=key, request_fingerprint=request_fingerprint, run=run)


def idempotency_records_purge(*, now: Any = None) -> int:
    now = now or timezone.now()
    deleted, _rows = IdempotencyRecord.objects.filter(created_at__lt=now - KEEP_FOR).delete()
    return deleted

"""`Idempotency-Key`: a retried request gets the first answer, and what it asked for happens once.

The answer is stored with the key in the same transaction as the work, by one INSERT at its
end (ON CONFLICT DO NOTHING): nothing extra on the way in. A retry does the work's own checks
first; for an enrollment that already exists they refuse ("already enrolled"), the transaction
rolls back, and the stored first answer is replayed instead of the refusal. Two copies of a
request racing each other: the second waits on the first's unique index entries (the enrollment,
the key), rolls back when the first commits, and replays its answer. A refused request stores
nothing (it changed nothing), so its retry is simply asked again. A key first used for another
request is a 422, and whatever the second request did is rolled back.

Work that can store the answer in its own last statement (`stored_by_run`, `Keyed`: the API's
enrollment, through the database function `enrollment_insert`) does so instead: no INSERT of
its own, no transaction opened around it, and a key already answered fails that statement on
the key's unique index, so nothing the work wrote stays.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
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


@dataclass(frozen=True)
class Keyed:
    """A request's key, for work that stores its answer in its own last statement: the record's
    INSERT then leaves the transaction with its last write (no round trip of its own, and no
    lock the work took is held while one is made). Such work raises KeyTaken when the key
    already had an answer."""

    tenant_id: int
    user_id: int
    key: str
    fingerprint: str


def fingerprint(*parts: Any) -> str:
    """What the request asked for (method, path, parsed body): a retry has the same one."""
    raw = json.dumps(parts, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(raw.encode()).hexdigest()


def clean_key(key: str) -> str:
    if not key or len(key) > MAX_KEY_LENGTH or not key.isascii() or not key.isprintable():
        message = _("An Idempotency-Key is 1 to 255 printable ASCII characters, like a UUID.")
        raise EnrollmentInvalid(message, fields={"Idempotency-Key": [message]})
    return key


_TABLE = IdempotencyRecord._meta.db_table


class KeyTaken(Exception):
    """The key already has an answer: undo this request's work."""


def idempotent(
    *,
    tenant: Tenant,
    user: User,
    key: str,
    request_fingerprint: str,
    run: Callable[[], Answer],
    stored_by_run: bool = False,
) -> Answer:
    """Run `run` once per (tenant, user, key); later calls replay its answer.

    `stored_by_run`: `run` stores the answer itself with its last write (Keyed: the enroll write),
    in its own transaction, and raises KeyTaken (having written nothing) when the key already
    had one; no transaction is opened around it here (inside one, a savepoint: the failed
    statement must not end the caller's transaction)."""
    key = clean_key(key)
    try:
        if stored_by_run and not connection.in_atomic_block:
            return run()
        with transaction.atomic():
            answer = run()
            if stored_by_run:
                return answer
            with connection.cursor() as cursor:
                cursor.execute(
                    f"INSERT INTO {_TABLE} "  # noqa: S608 - the table name is ours
                    "(tenant_id, user_id, key, fingerprint, status_code, body, created_at) "
                    "VALUES (%s, %s, %s, %s, %s, %s, %s) "
                    "ON CONFLICT (tenant_id, user_id, key) DO NOTHING RETURNING id",
                    [
                        tenant.pk,
                        user.pk,
                        key,
                        request_fingerprint,
                        answer.status,
                        json.dumps(answer.body, cls=DjangoJSONEncoder),
                        timezone.now(),
                    ],
                )
                if cursor.fetchone() is None:
                    raise KeyTaken
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


def answer_once(
    *,
    tenant: Tenant,
    user: User,
    key: str | None,
    request_fingerprint: str,
    run: Callable[[], Answer],
) -> Answer:
    """The one way an API POST that moves money or seats honours `Idempotency-Key` (refunds,
    cancellations, staff enrollment and its actions, the learner's enrollment actions): without
    a key, `run` simply runs; with one, `idempotent` runs it once and replays its first answer."""
    if key is None:
        return run()
    return idempotent(tenant=tenant, user=user, key=key, request_fingerprint=request_fingerprint, run=run)


def idempotency_records_purge(*, now: Any = None) -> int:
    now = now or timezone.now()
    deleted, _rows = IdempotencyRecord.objects.filter(created_at__lt=now - KEEP_FOR).delete()
    return deleted

"""`Idempotency-Key`: a retried request gets the first answer, and what it asked for happens once.

One transaction: INSERT the key (ON CONFLICT DO NOTHING) first. A retry arriving while the
first request is still running waits on that row's unique index entry until the first commits,
then finds the stored answer and replays it. If the first failed and rolled back, the retry's
INSERT goes through and it runs afresh. Refusals (a 409 "full") are stored and replayed too;
the work runs in a savepoint so a refusal leaves the key row in place.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from enrollment.errors import EnrollmentInvalid, IdempotencyKeyReused
from enrollment.models import IdempotencyRecord
from identity.models import User
from microcred.api import error_body
from microcred.errors import MicrocredError
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


_TABLE = IdempotencyRecord._meta.db_table


def idempotent(
    *,
    tenant: Tenant,
    user: User,
    key: str,
    request_fingerprint: str,
    run: Callable[[], Answer],
) -> Answer:
    """Run `run` once per (tenant, user, key); later calls replay its answer."""
    key = clean_key(key)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {_TABLE} (tenant_id, user_id, key, fingerprint, created_at) "  # noqa: S608
                "VALUES (%s, %s, %s, %s, %s) "
                "ON CONFLICT (tenant_id, user_id, key) DO NOTHING RETURNING id",
                [tenant.pk, user.pk, key, request_fingerprint, timezone.now()],
            )
            row = cursor.fetchone()
        if row is None:
            return _replay(tenant=tenant, user=user, key=key, request_fingerprint=request_fingerprint)
        try:
            with transaction.atomic():
                answer = run()
        except MicrocredError as exc:
            answer = Answer(exc.status, error_body(exc.code, exc.message, exc.fields))
        IdempotencyRecord.objects.filter(pk=row[0]).update(status_code=answer.status, body=answer.body)
    return answer


def _replay(*, tenant: Tenant, user: User, key: str, request_fingerprint: str) -> Answer:
    first = IdempotencyRecord.objects.get(tenant=tenant, user=user, key=key)
    if first.fingerprint != request_fingerprint:
        raise IdempotencyKeyReused(
            _("This Idempotency-Key was already used for a different request; use a new key.")
        )
    # Both are written before the first request commits, so a visible row has them.
    return Answer(first.status_code or 500, first.body or {}, replayed=True)


def idempotency_records_purge(*, now: Any = None) -> int:
    now = now or timezone.now()
    deleted, _rows = IdempotencyRecord.objects.filter(created_at__lt=now - KEEP_FOR).delete()
    return deleted

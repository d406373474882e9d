"""An e-mail outbox: a row written in the same transaction as the change it tells of, sent once
after that commits.

The model has `created_at`, `claimed_at`, `sent_at` and `attempts`. Sending claims the row first
(a conditional UPDATE), so two workers never send one message, and no lock is held while the mail
server answers; `sent_at` is set once the server has accepted the mail, and a refusal releases the
claim for the job's retry or the sweep. A claim not marked sent after CLAIM_TIMEOUT (the sender
died) is taken again. The sweep (`due`) leaves rows younger than SWEEP_AFTER to their own
after-commit job.

    outbox = Outbox(EnrollmentMessage, related=("enrollment__learner", "tenant"))
    outbox.send_once(message_id, deliver=_deliver)
    outbox.send_many(message_ids, deliver=_deliver)   # a batch: claimed and read in one query each
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Generic, TypeVar

from django.db import connection, models
from django.db.models import F, Q
from django.utils import timezone

CLAIM_TIMEOUT = timedelta(minutes=5)
SWEEP_AFTER = timedelta(minutes=1)
MAX_ATTEMPTS = 10

M = TypeVar("M", bound=models.Model)
logger = logging.getLogger(__name__)


class Outbox(Generic[M]):
    def __init__(self, model: type[M], *, related: tuple[str, ...] = ()) -> None:
        self.model = model
        self.related = related  # what delivering reads, loaded with the message

    def _claimable(self, now: datetime) -> Q:
        return Q(claimed_at__isnull=True) | Q(claimed_at__lte=now - CLAIM_TIMEOUT)

    def due(self, *, now: datetime | None = None, limit: int = 500) -> list[int]:
        """Unsent messages older than SWEEP_AFTER, not being sent right now (or whose sender died)."""
        now = now or timezone.now()
        rows = self.model._default_manager.filter(
            self._claimable(now),
            sent_at__isnull=True,
            created_at__lte=now - SWEEP_AFTER,
            attempts__lt=MAX_ATTEMPTS,
        )
        return list(rows.order_by("created_at", "pk").values_list("pk", flat=True)[:limit])

    def claim(self, message_id: int, now: datetime) -> bool:
        rows = self.model._default_manager.filter(self._claimable(now), pk=message_id, sent_at__isnull=True)
        return rows.update(claimed_at=now, attempts=F("attempts") + 1) == 1

    def send_once(
        self, message_id: int, *, deliver: Callable[[M], None], now: datetime | None = None
    ) -> bool:
        """Deliver one message once. False when it was sent already, another worker has it, or
        there is no such message."""
        now = now or timezone.now()
        if not self.claim(message_id, now):
            return False
        rows = self.model._default_manager.filter(pk=message_id)
        message = rows.select_related(*self.related).get()
        try:
            deliver(message)
        except Exception:
            rows.update(claimed_at=None)  # the claim lapses at once: the retry (or the sweep) sends it
            raise
        rows.update(sent_at=timezone.now())
        return True

    def claim_many(self, message_ids: list[int], now: datetime) -> set[int]:
        """Claim those of the messages that are claimable, in one UPDATE; the ids claimed."""
        table = connection.ops.quote_name(self.model._meta.db_table)
        pk = connection.ops.quote_name(self.model._meta.pk.column or "id")
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET claimed_at = %s, attempts = attempts + 1"  # noqa: S608 - our names
                f" WHERE {pk} = ANY(%s) AND sent_at IS NULL AND (claimed_at IS NULL OR claimed_at <= %s)"
                f" RETURNING {pk}",
                [now, list(message_ids), now - CLAIM_TIMEOUT],
            )
            return {int(row[0]) for row in cursor.fetchall()}

    def send_many(
        self, message_ids: list[int], *, deliver: Callable[[M], None], now: datetime | None = None
    ) -> list[int]:
        """`send_once` for many: the claimable ones are claimed in one UPDATE and read in one
        query; each is marked sent as soon as the server took it. A message that fails has its
        claim released and the others are still sent; the first failure is raised at the end
        (the job's retry, or the sweep, sends what is left). The ids sent."""
        now = now or timezone.now()
        manager = self.model._default_manager
        taken = self.claim_many(message_ids, now)
        messages = manager.filter(pk__in=taken).select_related(*self.related).order_by("pk")
        sent: list[int] = []
        failure: Exception | None = None
        for message in messages:
            try:
                deliver(message)
            except Exception as exc:
                manager.filter(pk=message.pk).update(claimed_at=None)
                logger.warning("sending outbox message %s failed", message.pk, exc_info=True)
                failure = failure or exc
                continue
            manager.filter(pk=message.pk).update(sent_at=timezone.now())
            sent.append(message.pk)
        if failure is not None:
            raise failure
        return sent

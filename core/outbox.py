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
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Generic, TypeVar

from django.db import models
from django.db.models import F, Q
from django.utils import timezone

CLAIM_TIMEOUT = timedelta(minutes=5)
SWEEP_AFTER = timedelta(minutes=1)
MAX_ATTEMPTS = 10

M = TypeVar("M", bound=models.Model)


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

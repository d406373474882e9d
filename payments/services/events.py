"""Stripe events: verified and stored by id at the webhook, applied once by a Celery job.

The webhook stores the event and answers at once; the job runs every handler registered for the
event's type (payments.stripe_event_registry) and marks the event applied in the same
transaction, under the event row's lock. Two jobs for one event (a duplicate delivery racing, a
redelivered task) run one after the other and the second finds it applied: each event's effects
happen once. A job that dies leaves the event unapplied; the minute sweep finds it again.

Locks: payments.services.locks (each names its own rows; the order they are taken in: the
event, then the order, its lines by pk, the refund, the ledger transaction).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from core.jobs import enqueue_after_commit
from payments import stripe_api
from payments.errors import WebhookRefused
from payments.models import StripeEvent
from payments.services import locks
from payments.stripe_event_registry import handlers_for
from tenants.models import Tenant

logger = logging.getLogger(__name__)
SWEEP_AFTER = timedelta(minutes=1)


def event_receive(*, tenant: Tenant, payload: bytes, signature: str) -> tuple[StripeEvent, bool]:
    """Verify the signature on the raw body with the tenant's webhook secret (Stripe's scheme,
    300 s tolerance) and store the event by its id. Returns (event, created); a duplicate is
    (the stored one, False). Anything unverified raises WebhookRefused and stores nothing."""
    secret = stripe_api.webhook_secret_for(tenant)
    if not secret:
        raise WebhookRefused("This site has no webhook secret set.")
    event: dict[str, Any] = stripe_api.event_verify(payload=payload, signature=signature, secret=secret)
    existing = StripeEvent.objects.filter(tenant=tenant, stripe_id=event["id"]).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            stored = StripeEvent.objects.create(
                tenant=tenant, stripe_id=event["id"], type=event["type"], payload=event
            )
            enqueue_after_commit("payments.apply_event", stored.pk)  # the sweep, if the broker is down
    except IntegrityError:  # the same event delivered twice at once: the other one stored it
        return StripeEvent.objects.get(tenant=tenant, stripe_id=event["id"]), False
    return stored, True


def event_apply(*, event_id: int, now: datetime | None = None) -> bool:
    """Apply one stored event once. False when it was applied already."""
    try:
        with transaction.atomic():
            event = locks.lock_event(event_id=event_id)
            if event is None or event.applied_at is not None:
                return False
            for handler in handlers_for(event.type):
                handler(tenant=event.tenant, event=event.payload)
            event.applied_at = now or timezone.now()
            event.attempts += 1
            event.last_error = ""
            event.save(update_fields=["applied_at", "attempts", "last_error"])
    except Exception as exc:
        StripeEvent.objects.filter(pk=event_id, applied_at__isnull=True).update(
            last_error=f"{type(exc).__name__}: {exc}"[:2000]
        )
        raise
    return True


def events_unapplied(*, now: datetime | None = None, limit: int = 500) -> list[int]:
    """Stored events older than a minute and still not applied (for the sweep)."""
    now = now or timezone.now()
    return list(
        StripeEvent.objects.filter(applied_at__isnull=True, received_at__lte=now - SWEEP_AFTER)
        .order_by("received_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )

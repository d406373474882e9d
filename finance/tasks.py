"""Celery entry points: each takes ids, loads the tenant and its Stripe client, and runs
`finance.services.sync.stripe_sync`; safe to run twice (at once, too).

Stripe is reached with `payments.stripe_api.stripe_client_for(tenant)` (the tenant's own key).
"""

from __future__ import annotations

import logging
from typing import Any

import stripe
from celery import shared_task

from finance.errors import FinanceBusy, ImportFailed
from finance.services.sync import stripe_sync
from payments.errors import StripeNotConfigured
from payments.stripe_api import stripe_client_for
from tenants.models import Tenant

logger = logging.getLogger(__name__)

RETRIED = (ImportFailed, FinanceBusy)  # Stripe unreachable; another reconciliation holds the lock


def _tenant_and_client(tenant_id: int, *, active_only: bool) -> tuple[Tenant, stripe.StripeClient] | None:
    """None when there is nothing to do: no such (active) tenant, or one without Stripe keys."""
    tenants = Tenant.objects.filter(pk=tenant_id)
    tenant = (tenants.filter(is_active=True) if active_only else tenants).first()
    if tenant is None:
        return None
    try:
        return tenant, stripe_client_for(tenant)
    except StripeNotConfigured as exc:
        logger.info("finance sync skipped for tenant %s: %s", tenant_id, exc)
        return None


@shared_task(name="finance.import_all", acks_late=True)
def finance_import_all() -> int:
    """Hourly (CELERY_BEAT_SCHEDULE): one import job per active tenant."""
    ids = list(Tenant.objects.filter(is_active=True).values_list("pk", flat=True))
    for tenant_id in ids:
        finance_import_tenant.delay(tenant_id, "schedule")
    return len(ids)


@shared_task(
    name="finance.import_tenant",
    acks_late=True,
    autoretry_for=RETRIED,
    retry_backoff=True,
    retry_backoff_max=900,
    max_retries=6,
)
def finance_import_tenant(tenant_id: int, trigger: str = "schedule") -> dict[str, Any]:
    """Everything new at Stripe (the hourly schedule, or the console's button)."""
    found = _tenant_and_client(tenant_id, active_only=True)
    if found is None:
        return {}
    tenant, client = found
    return stripe_sync(tenant=tenant, client=client, trigger=trigger).summary()


@shared_task(
    name="finance.payout_event",
    acks_late=True,
    autoretry_for=RETRIED,
    retry_backoff=True,
    retry_backoff_max=900,
    max_retries=6,
)
def finance_payout_event(tenant_id: int, payout_id: str, event_type: str) -> dict[str, Any]:
    """A `payout.*` event: that payout and its items now (the hourly import catches up the rest)."""
    found = _tenant_and_client(tenant_id, active_only=False)
    if found is None:
        return {}
    tenant, client = found
    done = stripe_sync(tenant=tenant, client=client, trigger=f"event {event_type}", payout_id=payout_id)
    return done.summary()

"""Celery entry points: each takes ids, calls services, and is safe to run twice (at once, too).

Stripe is reached with `payments.stripe_api.stripe_client_for(tenant)` (the tenant's own key).
"""

from __future__ import annotations

import logging
from typing import Any

import stripe
from celery import shared_task

from finance.errors import ImportFailed
from finance.services.imports import payout_event_apply, stripe_import
from finance.services.ledger_posting import payouts_post
from finance.services.reconcile import reconcile
from payments.errors import StripeNotConfigured
from payments.stripe_api import stripe_client_for
from tenants.models import Tenant

logger = logging.getLogger(__name__)


def tenant_sync(*, tenant: Tenant, client: stripe.StripeClient, trigger: str) -> dict[str, Any]:
    """Import, post payouts to the ledger, reconcile: what the jobs and the console's button do."""
    run = stripe_import(tenant=tenant, client=client, trigger=trigger)
    posted = payouts_post(tenant=tenant)
    result = reconcile(tenant=tenant)
    return {"run": run.pk, "payouts_posted": posted, "problems": result.problems}


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
    autoretry_for=(ImportFailed,),
    retry_backoff=True,
    retry_backoff_max=900,
    max_retries=6,
)
def finance_import_tenant(tenant_id: int, trigger: str = "schedule") -> dict[str, Any]:
    tenant = Tenant.objects.filter(pk=tenant_id, is_active=True).first()
    if tenant is None:
        return {}
    try:
        client = stripe_client_for(tenant)
    except StripeNotConfigured as exc:  # a tenant without Stripe keys: nothing to import
        logger.info("finance import skipped for tenant %s: %s", tenant_id, exc)
        return {}
    return tenant_sync(tenant=tenant, client=client, trigger=trigger)


@shared_task(
    name="finance.payout_event",
    acks_late=True,
    autoretry_for=(ImportFailed,),
    retry_backoff=True,
    retry_backoff_max=900,
    max_retries=6,
)
def finance_payout_event(tenant_id: int, payout_id: str, event_type: str) -> dict[str, Any]:
    """A `payout.*` event: that payout and its items now, then the ledger posting and a
    reconciliation (the hourly import catches up everything else)."""
    tenant = Tenant.objects.filter(pk=tenant_id).first()
    if tenant is None:
        return {}
    try:
        client = stripe_client_for(tenant)
    except StripeNotConfigured as exc:  # its keys removed since the event: nothing to read
        logger.info("finance payout event %s skipped for tenant %s: %s", payout_id, tenant_id, exc)
        return {}
    payout_event_apply(tenant=tenant, client=client, payout_id=payout_id, trigger=f"event {event_type}")
    posted = payouts_post(tenant=tenant)
    result = reconcile(tenant=tenant)
    return {"payouts_posted": posted, "problems": result.problems}

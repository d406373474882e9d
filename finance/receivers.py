"""finance hears of payouts through payments' event registry (payments.stripe_event_registry.event_handler):
`payout.paid`, `payout.failed` and `payout.reconciliation_completed` enqueue the payout's import
after the apply job commits. Registered by FinanceConfig.ready()."""

from __future__ import annotations

from typing import Any

from core.jobs import enqueue_after_commit
from payments.stripe_event_registry import event_handler
from tenants.models import Tenant

PAYOUT_EVENTS = ("payout.paid", "payout.failed", "payout.reconciliation_completed")


def on_payout_event(*, tenant: Tenant, event: dict[str, Any]) -> None:
    """Idempotent: the job it enqueues upserts; a repeated event imports the same rows again. With
    the broker down, the hourly import (finance.import_all) finds the payout instead."""
    payout_id = str(event["data"]["object"]["id"])
    event_type = str(event.get("type", ""))
    enqueue_after_commit("finance.payout_event", tenant.pk, payout_id, event_type)


def register() -> None:
    """Register with payments' registry (FinanceConfig.ready)."""
    event_handler(*PAYOUT_EVENTS)(on_payout_event)

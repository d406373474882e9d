"""sponsors' Stripe event handlers, registered with payments.stripe_event_registry at start-up."""

from __future__ import annotations

from typing import Any

from payments.stripe_event_registry import event_handler
from sponsors.services import pools
from tenants.models import Tenant


@event_handler("invoice.paid", "invoice.payment_failed", "invoice.overdue", "invoice.voided")
def invoice_changed(*, tenant: Tenant, event: dict[str, Any]) -> None:
    pools.invoice_event_apply(tenant=tenant, event=event)

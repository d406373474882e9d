"""sponsors' Stripe event handlers, registered with payments.stripe_event_registry at start-up."""

from __future__ import annotations

from typing import Any

from payments.stripe_event_registry import event_handler
from sponsors.services import pools, purchase
from tenants.models import Tenant


@event_handler("invoice.paid", "invoice.payment_failed", "invoice.overdue", "invoice.voided")
def invoice_changed(*, tenant: Tenant, event: dict[str, Any]) -> None:
    pools.invoice_event_apply(tenant=tenant, event=event)


# Only the expiry: a paid session's own invoice.paid (sent before checkout.session.completed)
# settles the pool, so the apply job's transaction never waits on a call to Stripe.
@event_handler("checkout.session.expired")
def pool_session_changed(*, tenant: Tenant, event: dict[str, Any]) -> None:
    purchase.session_event_apply(tenant=tenant, event=event)

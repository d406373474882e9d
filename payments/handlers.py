"""payments' own Stripe event handlers, registered with payments.stripe_event_registry at start-up."""

from __future__ import annotations

from typing import Any

from payments.services import fulfilment, refund_execution
from payments.stripe_event_registry import event_handler
from tenants.models import Tenant


@event_handler("checkout.session.completed")
def checkout_session_completed(*, tenant: Tenant, event: dict[str, Any]) -> None:
    fulfilment.session_completed(tenant=tenant, event=event)


@event_handler("checkout.session.async_payment_succeeded")
def checkout_session_async_payment_succeeded(*, tenant: Tenant, event: dict[str, Any]) -> None:
    fulfilment.session_async_succeeded(tenant=tenant, event=event)


@event_handler("checkout.session.async_payment_failed")
def checkout_session_async_payment_failed(*, tenant: Tenant, event: dict[str, Any]) -> None:
    fulfilment.session_async_failed(tenant=tenant, event=event)


@event_handler("checkout.session.expired")
def checkout_session_expired(*, tenant: Tenant, event: dict[str, Any]) -> None:
    fulfilment.session_expired(tenant=tenant, event=event)


@event_handler("refund.created", "refund.updated", "refund.failed", "charge.refund.updated")
def refund_changed(*, tenant: Tenant, event: dict[str, Any]) -> None:
    refund_execution.refund_event_apply(
        tenant=tenant, stripe_refund=event["data"]["object"], stripe_event_id=event["id"]
    )


@event_handler("charge.refunded")
def charge_refunded(*, tenant: Tenant, event: dict[str, Any]) -> None:
    refund_execution.charge_refunded_apply(
        tenant=tenant, charge=event["data"]["object"], stripe_event_id=event["id"]
    )

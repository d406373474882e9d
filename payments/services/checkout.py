"""Stripe Checkout for a drafted order (payments.services.orders drafts it): one Checkout
Session per order, created with the idempotency key `order:<id>:checkout`, so a retry after
Stripe failed (500, 429, a timeout) re-sends the same request and can never make a second
session; its lines, amounts and routing are the order's own."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.money import format_money
from payments import stripe_api
from payments.errors import PaymentUnavailable
from payments.models import (
    Order,
    OrderLine,
    OrderStatus,
)
from payments.services import locks
from payments.services.orders import order_transition

logger = logging.getLogger(__name__)


def checkout_session_params(*, order: Order, success_url: str, cancel_url: str) -> dict[str, Any]:
    metadata = {"order_reference": order.reference, "order_id": str(order.pk), "tenant": order.tenant.slug}
    lines = list(order.lines.select_related("unit").order_by("pk"))
    params: dict[str, Any] = {
        "mode": "payment",
        "client_reference_id": order.reference,
        "customer_email": order.email,
        "success_url": success_url,
        "cancel_url": cancel_url,
        "expires_at": int(order.checkout_expires_at.timestamp()),
        "metadata": metadata,
        # SEPA Direct Debit is offered for euros only, as at Stripe.
        "payment_method_types": ["card", "sepa_debit"] if order.currency == "EUR" else ["card"],
        "line_items": [
            {
                "quantity": 1,
                "price_data": {
                    "currency": line.currency.lower(),
                    "unit_amount": line.amount_minor,
                    "product_data": _product_data(order, line),
                },
            }
            for line in lines
        ],
        "payment_intent_data": {
            "description": f"Order {order.reference}",
            "metadata": metadata,
            **_routing(order, lines),
        },
    }
    return params


def _product_data(order: Order, line: OrderLine) -> dict[str, Any]:
    data: dict[str, Any] = {"name": line.description}
    if line.discount_minor and order.bundle_id is not None:
        data["description"] = _("List price %(list)s, less %(off)s as part of a bundle") % {
            "list": format_money(line.list_amount_minor, line.currency),
            "off": format_money(line.discount_minor, line.currency),
        }
    elif line.discount_minor and order.promotion_code is not None:
        data["description"] = _("List price %(list)s, less %(off)s with code %(code)s") % {
            "list": format_money(line.list_amount_minor, line.currency),
            "off": format_money(line.discount_minor, line.currency),
            "code": order.promotion_code.code,
        }
    return data


def _routing(order: Order, lines: list[OrderLine]) -> dict[str, Any]:
    """Connect: a single-unit order of a connected unit is a destination charge; an order with
    several units carries the order's transfer_group (transfers follow the payment)."""
    from payments.services.routing import session_routing

    return session_routing(order=order, lines=lines)


def checkout_start(*, order: Order, success_url: str, cancel_url: str, now: datetime | None = None) -> Order:
    """Create (or find again) the order's Checkout Session and open the order. Stripe trouble
    → PaymentUnavailable; the draft stays and the same request is sent next time."""
    now = now or timezone.now()
    if order.status == OrderStatus.OPEN and order.checkout_url:
        return order
    params = checkout_session_params(order=order, success_url=success_url, cancel_url=cancel_url)
    try:
        session = stripe_api.checkout_session_create(
            tenant=order.tenant, params=params, key=f"order:{order.pk}:checkout"
        )
    except stripe_api.StripeRefused as exc:  # a key revoked, a parameter: not the learner's fault
        logger.exception("Stripe refused the checkout session of order %s", order.reference)
        raise PaymentUnavailable(
            _("Payment could not be started just now. Nothing was charged; please try again later.")
        ) from exc
    with transaction.atomic():
        locked = locks.lock_order(order_id=order.pk)
        if not locked.checkout_session_id:
            locked.checkout_session_id = session.id
            locked.checkout_url = session.url or ""
            locked.save(update_fields=["checkout_session_id", "checkout_url"])
        order_transition(locked, OrderStatus.OPEN, action="checkout_opened", now=now, session=session.id)
    return locked

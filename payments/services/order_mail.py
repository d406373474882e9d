"""Every e-mail about an order (receipt, late refund, refund notices and outcomes), built the one
way: the receipt's context, the order's links, the unit's brand (tenants.mail), handed to the
mail server at once (core.mail.deliver_now). Its callers claim their row first; that claim is
the outbox."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.urls import reverse

from core.mail import deliver_now
from payments.models import Order
from payments.presenters import receipt_context
from tenants.brand import Brand
from tenants.mail import branded_email, site_url


def order_mail_send(order: Order, kind: str, extra: dict[str, Any]) -> None:
    """Build the mail and hand it to the mail server now: the caller's claim on its row is the
    outbox, released when this raises (core.mail)."""
    context = {**receipt_context(order), **extra}
    base = site_url(order.tenant)
    context["receipt_url"] = base + reverse("order-receipt", args=[order.reference])
    context["my_learning_url"] = base + reverse("my-learning")
    brand: Brand = context["brand"]
    deliver_now(
        branded_email(
            brand=brand,
            to=[order.email],
            template_prefix=f"payments/email/{kind}",
            context=context,
            language=settings.LANGUAGE_CODE,
        )
    )

"""Times a person reads are in the tenant's zone, in one format, labelled with the zone."""

from __future__ import annotations

from datetime import UTC, datetime

from payments.models import Order, OrderStatus
from tests.payments.conftest import Shop


def test_the_receipt_shows_the_paid_time_in_the_tenant_zone_labelled(shop: Shop) -> None:
    enrollment = shop.hold(shop.offering())
    shop.checkout(enrollment)
    order = shop.order_of(enrollment)
    tenant = order.tenant
    tenant.time_zone = "Europe/Paris"
    tenant.save(update_fields=["time_zone"])
    Order.objects.filter(pk=order.pk).update(
        status=OrderStatus.PAID, paid_at=datetime(2026, 12, 2, 6, 37, tzinfo=UTC)
    )

    receipt = shop.browser.get(f"/orders/{order.reference}/receipt/").content.decode()

    assert "2 Dec 2026, 07:37 CET" in receipt
    assert "a.m." not in receipt

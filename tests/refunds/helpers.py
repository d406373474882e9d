"""Helpers of the refund tests: a paid order, a staff refund request, the ledger's figures."""

from __future__ import annotations

from typing import Any

from payments.models import Order, OrderLine, Refund, RefundRequester
from payments.services.refund_requests import refund_request
from tenants.models import SettlementKind, Unit
from tests.payments.conftest import Shop


def paid_order(
    shop: Shop, *prices: int, units: list[Unit] | None = None, card: str = "4242424242424242"
) -> Order:
    """One paid, settled order of the shop's learner with a line per price (eager tasks)."""
    held = []
    for n, price in enumerate(prices):
        unit = (units or [])[n] if units else shop.world.a_unit1
        held.append(shop.hold(shop.offering(price_minor=price, microcredential__unit=unit)))
    shop.checkout(*held)
    order = shop.order_of(held[0])
    shop.pay(order, card)
    shop.deliver()
    order.refresh_from_db()
    assert order.status == "paid"
    assert order.settled_at is not None
    return order


def request(shop: Shop, line: OrderLine, amount: int, reason: str = "Asked by phone", **kw: Any) -> Refund:
    """Ask for a refund as staff; its job runs after commit (eager: at once)."""
    with shop.capture(execute=True):
        refund = refund_request(
            tenant=shop.tenant,
            line_id=line.pk,
            amount_minor=amount,
            reason=reason,
            requested_by_kind=kw.pop("kind", RefundRequester.STAFF),
            requested_by=kw.pop("by", shop.world.a_admin),
            **kw,
        )
    refund.refresh_from_db()
    return refund


def connect(unit: Unit, account: str) -> None:
    unit.settlement_kind = SettlementKind.STRIPE_CONNECT
    unit.stripe_account_id = account
    unit.save()


def figures(shop: Shop) -> dict[str, tuple[int, int, int, int, int]]:
    """(gross, fees, refunds, net, settled) per unit slug, from the ledger."""
    from ledger.selectors import unit_figures

    slugs = {u.pk: u.slug for u in Unit.objects.filter(tenant=shop.tenant)}
    return {
        slugs[f.unit_id]: (f.gross, f.fees, f.refunds, f.net, f.settled)
        for f in unit_figures(tenant=shop.tenant, currency="USD")
    }

"""Where an order's money goes: each line to the unit owning the offering.

Units on the internal ledger: the platform keeps the money; the ledger attributes it. Units
with their own Stripe connected account (tenants.Unit.settlement_kind = stripe_connect):
- an order of one such unit only is a **destination charge**: `transfer_data.destination` is the
  unit's account and `application_fee_amount` the estimated processing fee (2.9 % + 30 minor
  units, STRIPE_FEE_* settings), so the unit receives its lines minus that estimate;
- an order with several units carries `transfer_group` = `order_<reference>`; after payment each
  connected unit gets a transfer of its lines minus its pro-rata share of the real fee
  (payments.services.settlement).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings

from payments.models import Order, OrderLine
from tenants.models import SettlementKind, Unit


def is_connected(unit: Unit) -> bool:
    return unit.settlement_kind == SettlementKind.STRIPE_CONNECT and bool(unit.stripe_account_id)


def estimated_fee(amount_minor: int) -> int:
    """Stripe's card price for the estimate: basis points (half up) plus a fixed amount."""
    percent = (amount_minor * settings.STRIPE_FEE_BASIS_POINTS * 2 + 10_000) // 20_000
    return min(amount_minor, percent + settings.STRIPE_FEE_FIXED_MINOR)


def destination_unit(lines: Iterable[OrderLine]) -> Unit | None:
    """The connected unit an order of that unit only is charged for (a destination charge);
    None for an order of several units or of a unit on the internal ledger."""
    units = {line.unit_id: line.unit for line in lines}
    if len(units) != 1:
        return None
    (unit,) = units.values()
    return unit if is_connected(unit) else None


def session_routing(*, order: Order, lines: list[OrderLine]) -> dict[str, Any]:
    destination = destination_unit(lines)
    if destination is not None:
        return {
            "transfer_data": {"destination": destination.stripe_account_id},
            "application_fee_amount": estimated_fee(order.amount_minor),
        }
    units = {line.unit_id: line.unit for line in lines}
    if len(units) > 1 and any(is_connected(unit) for unit in units.values()):
        return {"transfer_group": order.transfer_group}
    return {}

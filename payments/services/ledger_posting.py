"""The order's money in the ledger, and transfers to connected units (after the ledger lands)."""

from __future__ import annotations


def order_settle(*, order_id: int) -> bool:
    return False

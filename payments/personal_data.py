"""Payments' registrations with the apps below: personal data (export, erase, blocker) and the
account-merge mover. Orders are financial records: erasing keeps them, with the e-mail address
replaced by the anonymous reference."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from identity.models import User
from identity.registry import register_personal_data
from learners.registry import MergeContext, merge_movers
from payments.models import LineStatus, Order, OrderLine, OrderStatus, RefundState
from payments.presenters import receipt_context, refund_note


def export(user: User) -> list[dict[str, Any]]:
    """Each order as its page tells it: the same status wording, each line's seat and refunds."""
    rows = Order.objects.filter(learner=user).select_related("tenant").order_by("pk")
    found = []
    for order in rows:
        page = receipt_context(order)
        found.append(
            {
                "institution": order.tenant.name,
                "reference": order.reference,
                "email": order.email,
                "status": page["headline"],
                "amount_minor": order.amount_minor,
                "currency": order.currency,
                "created_at": order.created_at.isoformat(),
                "paid_at": order.paid_at.isoformat() if order.paid_at else None,
                "payment_reference": order.payment_intent_id,
                "lines": [_line(item) for item in page["lines"]],
            }
        )
    return found


def _line(item: dict[str, Any]) -> dict[str, Any]:
    line: OrderLine = item["line"]
    return {
        "description": line.description,
        "amount_minor": line.amount_minor,
        "status": " ".join(item["status_notes"]) or str(line.get_status_display()),
        "refunds": [
            {
                "amount_minor": refund.amount_minor,
                "currency": refund.currency,
                "status": refund_note(refund),
                "requested_at": refund.created_at.isoformat(),
            }
            for refund in item["refunds"]
        ],
    }


def erase(user: User, reference: str) -> None:
    Order.objects.filter(learner=user).update(email=f"{reference}@erased.invalid")


def blocker(user: User) -> str | None:
    busy = Order.objects.filter(learner=user).filter(
        Q(status=OrderStatus.PROCESSING)
        | Q(lines__status=LineStatus.REFUND_DUE)
        | Q(lines__refunds__state__in=(RefundState.REQUESTED, RefundState.PROCESSING))
    )
    if busy.exists():
        return "A payment or a refund of yours is still being processed; try again once it has finished."
    return None


def move_orders(merge: MergeContext) -> int:
    """Re-point this tenant's orders from the merged-away account to the kept one."""
    return Order.objects.filter(tenant=merge.tenant, learner=merge.source).update(learner=merge.target)


def register() -> None:
    register_personal_data("orders", export=export, erase=erase, blocker=blocker)
    merge_movers.register("orders", move_orders)

"""What each Stripe event does to orders and seats. Monotonic: an order only moves forward
(models.ORDER_RANK), so a repeated or late event changes nothing; the money's follow-ups (the
ledger, transfers, late refunds, the receipt) leave after commit as jobs of their own.

Called by the apply job under the stored event's row lock; locks here (payments.services.locks):
the order row, its lines, then (through enrollment's services) the offering row, the enrollment.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from core.jobs import enqueue_after_commit
from core.registry import call_each
from enrollment import services as enrollment_services
from payments import hooks
from payments.models import LineStatus, Order, OrderLine, OrderStatus
from payments.services import locks
from payments.services.orders import order_transition
from tenants.models import Tenant

logger = logging.getLogger(__name__)


def _order_of_session(*, tenant: Tenant, session: dict[str, Any]) -> Order | None:
    reference = session.get("client_reference_id") or (session.get("metadata") or {}).get("order_reference")
    if not reference:
        return None
    order = locks.lock_order_by_reference(tenant=tenant, reference=reference)
    if order is None:
        logger.warning("Stripe session %s names no order of tenant %s", session.get("id"), tenant.pk)
        return None
    if order.checkout_session_id and order.checkout_session_id != session.get("id"):
        logger.warning("Stripe session %s is not order %s's session", session.get("id"), reference)
        return None
    return order


def session_completed(*, tenant: Tenant, event: dict[str, Any], now: datetime | None = None) -> None:
    session = event["data"]["object"]
    order = _order_of_session(tenant=tenant, session=session)
    if order is None:
        return
    _remember_payment(order, session)
    if session.get("payment_status") in ("paid", "no_payment_required"):
        order_paid(order=order, stripe_event_id=event["id"], now=now)
    else:  # a delayed method (SEPA debit): the money comes, or not, in a later event
        order_transition(
            order,
            OrderStatus.PROCESSING,
            action="payment_processing",
            now=now or timezone.now(),
            stripe_event_id=event["id"],
        )


def session_async_succeeded(*, tenant: Tenant, event: dict[str, Any], now: datetime | None = None) -> None:
    session = event["data"]["object"]
    order = _order_of_session(tenant=tenant, session=session)
    if order is not None:
        _remember_payment(order, session)
        order_paid(order=order, stripe_event_id=event["id"], now=now)


def session_async_failed(*, tenant: Tenant, event: dict[str, Any], now: datetime | None = None) -> None:
    """The delayed payment failed: the order fails; its holds run out on their own time (the
    learner may pay again from My learning while they last)."""
    order = _order_of_session(tenant=tenant, session=event["data"]["object"])
    if order is not None:
        order_transition(
            order,
            OrderStatus.FAILED,
            action="payment_failed",
            now=now or timezone.now(),
            stripe_event_id=event["id"],
        )


def session_expired(*, tenant: Tenant, event: dict[str, Any], now: datetime | None = None) -> None:
    """Nobody paid in time: the holds end and their seats are offered on (enrollment's
    services). An order the learner replaced by another checkout keeps its holds for that one."""
    now = now or timezone.now()
    order = _order_of_session(tenant=tenant, session=event["data"]["object"])
    if order is None:
        return
    if not order_transition(
        order, OrderStatus.EXPIRED, action="checkout_expired", now=now, stripe_event_id=event["id"]
    ):
        return
    for line in locks.lock_order_lines(order, status=LineStatus.PENDING):
        enrollment_services.hold_release(
            tenant=tenant,
            enrollment_id=line.enrollment_id,
            reason=_("The checkout for order %(ref)s expired unpaid.") % {"ref": order.reference},
            now=now,
        )
        line.status = LineStatus.RELEASED
        line.save(update_fields=["status"])


def _remember_payment(order: Order, session: dict[str, Any]) -> None:
    payment_intent = session.get("payment_intent")
    if isinstance(payment_intent, dict):
        payment_intent = payment_intent.get("id")
    if payment_intent and not order.payment_intent_id:
        order.payment_intent_id = payment_intent
        order.save(update_fields=["payment_intent_id"])


def order_paid(
    *, order: Order, stripe_event_id: str, now: datetime | None = None, action: str = "paid", **details: Any
) -> bool:
    """Confirm the order's seats once. A seat whose hold expired before the money came is taken
    again when one is free (nobody waiting); otherwise its line is refunded automatically."""
    now = now or timezone.now()
    if not order_transition(
        order, OrderStatus.PAID, action=action, now=now, stripe_event_id=stripe_event_id, **details
    ):
        return False
    refunds: list[int] = []
    for line in locks.lock_order_lines(order):
        seat = enrollment_services.enrollment_confirm_paid(
            tenant=order.tenant,
            enrollment_id=line.enrollment_id,
            details={"order": order.reference, "line": line.pk},
            now=now,
        )
        if seat.outcome == "already" and _paid_elsewhere(line):
            seat = enrollment_services.PaidSeat("no_seat", None)
        if seat.outcome == "no_seat" and line.amount_minor == 0:
            line.status = LineStatus.RELEASED  # a waived seat lost: nothing was paid to give back
        elif seat.outcome == "no_seat":
            line.status = LineStatus.REFUND_DUE
            refunds.append(line.pk)
        else:
            line.status = LineStatus.CONFIRMED
            line.seat_enrollment = seat.enrollment
        line.save(update_fields=["status", "seat_enrollment"])
    call_each(hooks.order_paid_recorders, order)
    # The follow-ups, each found again by the minute sweep if the broker is down at commit
    # (settlement.follow_ups_due: unsent receipts, unsettled orders, refunds due).
    enqueue_after_commit("payments.send_receipt", order.pk)
    enqueue_after_commit("payments.settle_order", order.pk)
    for line_id in refunds:
        enqueue_after_commit("payments.late_refund", line_id)
    return True


def _paid_elsewhere(line: OrderLine) -> bool:
    """The seat was confirmed by another order's payment (two checkouts paid for one seat)."""
    return (
        OrderLine.objects.filter(enrollment_id=line.enrollment_id, status=LineStatus.CONFIRMED)
        .exclude(order_id=line.order_id)
        .exists()
    )

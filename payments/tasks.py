"""Celery entry points of payments: each takes ids, calls a service, is safe to run twice."""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from django.conf import settings

from core.jobs import enqueue
from payments.errors import CheckoutRefused, PaymentUnavailable
from payments.services import (
    events,
    ledger_posting,
    orders,
    refund_execution,
    refund_ledger,
    refund_notices,
    refund_sweep,
    settlement,
)

logger = logging.getLogger(__name__)

# Jobs that call Stripe: a 5xx, a 429 or a timeout (PaymentUnavailable) is tried again, backing
# off to ten minutes. Jobs that send e-mail: while the mail server cannot be reached.
_STRIPE_RETRY: dict[str, Any] = {
    "acks_late": True,
    "autoretry_for": (PaymentUnavailable, OSError),
    "retry_backoff": True,
    "retry_backoff_max": 600,
    "max_retries": 10,
}
_EMAIL_RETRY: dict[str, Any] = {
    "acks_late": True,
    "autoretry_for": (OSError,),
    "retry_backoff": True,
    "retry_backoff_max": 600,
    "max_retries": 8,
}


@shared_task(
    name="payments.apply_event",
    acks_late=True,
    autoretry_for=(Exception,),
    retry_backoff=True,
    retry_backoff_max=300,
    max_retries=8,
)
def stripe_event_apply(event_id: int) -> bool:
    """Apply one stored Stripe event (once: see payments.services.events)."""
    return events.event_apply(event_id=event_id)


@shared_task(name="payments.late_refund", **_STRIPE_RETRY)
def line_late_refund(line_id: int) -> bool:
    return settlement.line_late_refund(line_id=line_id)


@shared_task(name="payments.send_receipt", **_EMAIL_RETRY)
def order_receipt_send(order_id: int) -> bool:
    return settlement.order_receipt_send(order_id=order_id)


@shared_task(name="payments.settle_order", **_STRIPE_RETRY)
def order_settle(order_id: int) -> bool:
    return ledger_posting.order_settle(order_id=order_id)


_REFUND_RETRY: dict[str, Any] = {
    "acks_late": True,
    "autoretry_for": (PaymentUnavailable, OSError),
    "retry_backoff": 5,
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 6,
}


@shared_task(name="payments.refund", **_REFUND_RETRY)
def refund_execute(refund_id: int) -> str:
    """Carry out one refund (idempotency key `refund:<id>`); bounded retries with back-off on
    5xx, 429, timeouts and connection errors; the sweep re-finds a refund whose retries ran out."""
    return refund_execution.refund_execute(refund_id=refund_id)


# Bulk refunds (an offering cancelled) share Stripe's rate limit with everything else: at most
# REFUND_BULK_RATE per worker process (a task of its own, so single refunds are not rate limited).
@shared_task(name="payments.refund_bulk", rate_limit=settings.REFUND_BULK_RATE, **_REFUND_RETRY)
def refund_execute_bulk(refund_id: int) -> str:
    return refund_execution.refund_execute(refund_id=refund_id)


@shared_task(name="payments.refund_settle", **_REFUND_RETRY)
def refund_settle(refund_id: int) -> bool:
    """A succeeded refund into the ledger (and a connected unit's transfer reversed)."""
    return refund_ledger.refund_settle(refund_id=refund_id)


@shared_task(name="payments.refund_refresh", **_REFUND_RETRY)
def refund_refresh(refund_id: int) -> str:
    """A refund pending at Stripe for an hour: its state read back from Stripe."""
    return refund_execution.refund_refresh(refund_id=refund_id)


@shared_task(name="payments.refund_notice", **_EMAIL_RETRY)
def refund_notice_send(refund_id: int) -> bool:
    return refund_notices.refund_notice_send(refund_id=refund_id)


@shared_task(name="payments.refund_outcome", **_EMAIL_RETRY)
def refund_outcome_send(refund_id: int) -> bool:
    """The learner told, once, that a refund succeeded or failed."""
    return refund_notices.refund_outcome_send(refund_id=refund_id)


@shared_task(name="payments.refund_resolution", **_EMAIL_RETRY)
def refund_resolution_send(refund_id: int) -> bool:
    """The learner told, once, that a failed refund was settled by hand, and how."""
    return refund_notices.refund_resolution_send(refund_id=refund_id)


@shared_task(name="payments.sweep", acks_late=True)
def payments_sweep() -> dict[str, Any]:
    """Every minute: apply stored events never applied; send receipts and refunds left undone."""
    unapplied = events.events_unapplied()
    for event_id in unapplied:
        enqueue("payments.apply_event", event_id)
    due = settlement.follow_ups_due()
    for order_id in due["receipts"]:
        order_receipt_send.delay(order_id)
    for line_id in due["refunds"]:
        line_late_refund.delay(line_id)
    for order_id in due["settle"]:
        order_settle.delay(order_id)
    for enrollment_id in due["closes"]:
        checkout_close_for_cancelled_hold.delay(enrollment_id)
    stuck = refund_sweep.refunds_due()
    for refund_id in stuck["execute"]:
        refund_execute.delay(refund_id)
    for refund_id in stuck["settle"]:
        refund_settle.delay(refund_id)
    for refund_id in stuck["refresh"]:
        refund_refresh.delay(refund_id)
    for refund_id in stuck["notices"]:
        refund_notice_send.delay(refund_id)
    for refund_id in stuck["outcomes"]:
        refund_outcome_send.delay(refund_id)
    for refund_id in stuck["resolutions"]:
        refund_resolution_send.delay(refund_id)
    return {
        "events": len(unapplied),
        **{k: len(v) for k, v in due.items()},
        "refunds_stuck": len(stuck["execute"]),
        "refunds_unsettled": len(stuck["settle"]),
        "refund_notices": len(stuck["notices"]),
        "refund_outcomes": len(stuck["outcomes"]),
        "refund_resolutions": len(stuck["resolutions"]),
    }


@shared_task(name="payments.close_checkout_for_cancelled_hold", **_STRIPE_RETRY)
def checkout_close_for_cancelled_hold(enrollment_id: int) -> int:
    """Expire the open checkout of a held seat that was cancelled (see orders service)."""
    try:
        return orders.checkouts_close_for_cancelled_hold(enrollment_id=enrollment_id)
    except CheckoutRefused:
        logger.info("enrollment %s: its checkout was paid before the cancellation", enrollment_id)
        return 0

"""After a payment: the receipt e-mail and the automatic refund of a line paid too late.

Each runs outside any lock (Stripe and the mail server are network calls), claims its row first
with a conditional UPDATE so two workers never do it twice, and uses an idempotency key from our
own ids so a retry can never refund twice.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db.models import Q
from django.utils import timezone

from enrollment.models import EnrollmentStatus
from payments.models import (
    LIVE_ORDER_STATES,
    LineStatus,
    Order,
    OrderLine,
    OrderStatus,
    Refund,
    RefundRequester,
)
from payments.services.order_mail import order_mail_send
from payments.services.refund_requests import refund_request

logger = logging.getLogger(__name__)
# A sender that claimed a receipt or refund notice and died: after this, another sends it.
CLAIM_TIMEOUT = timedelta(minutes=5)


def line_late_refund(*, line_id: int) -> bool:
    """Refund a line that was paid after its hold expired with no seat left: a Refund row
    (requested by the system, idempotency key `order:<id>:late-refund:<line>`) that the refund
    job carries out; once it has succeeded (the line is then REFUNDED) the refund service calls
    this again and the learner is told by e-mail, once. A refund that fails stays failed for
    staff to retry or resolve (payments.services.refund_requests)."""
    line = OrderLine.objects.select_related("order__tenant").filter(pk=line_id).first()
    if line is None or line.status not in (LineStatus.REFUND_DUE, LineStatus.REFUNDED):
        return False
    order = line.order
    if line.status == LineStatus.REFUND_DUE:
        key = f"order:{order.pk}:late-refund:{line.pk}"
        if not Refund.objects.filter(line=line, idempotency_key=key).exists():
            refund_request(  # its job is queued after commit
                tenant=order.tenant,
                line_id=line.pk,
                amount_minor=line.amount_minor,
                reason="Paid after the hold expired, no seat left",
                requested_by_kind=RefundRequester.SYSTEM,
                idempotency_key=key,
            )
        return False
    now = timezone.now()
    claimed = (
        OrderLine.objects.filter(pk=line.pk, refund_notified_at__isnull=True)
        .filter(
            Q(refund_notice_claimed_at__isnull=True) | Q(refund_notice_claimed_at__lt=now - CLAIM_TIMEOUT)
        )
        .update(refund_notice_claimed_at=now)
    )
    if claimed:
        try:
            order_mail_send(order, "late_refund", {"line": line})
        except Exception:
            OrderLine.objects.filter(pk=line.pk, refund_notice_claimed_at=now).update(
                refund_notice_claimed_at=None
            )
            raise
        OrderLine.objects.filter(pk=line.pk).update(refund_notified_at=timezone.now())
    return True


def order_receipt_send(*, order_id: int, now: datetime | None = None) -> bool:
    """The receipt e-mail of a paid order, once. A sender claims it first (a conditional UPDATE of
    `receipt_claimed_at`) and marks it sent only once the mail server took it; a claim whose
    sender died lapses after CLAIM_TIMEOUT, and the sweep sends it then."""
    now = now or timezone.now()
    claimed = (
        Order.objects.filter(pk=order_id, status=OrderStatus.PAID, receipt_sent_at__isnull=True)
        .filter(Q(receipt_claimed_at__isnull=True) | Q(receipt_claimed_at__lt=now - CLAIM_TIMEOUT))
        .update(receipt_claimed_at=now)
    )
    if not claimed:
        return False
    order = Order.objects.select_related("tenant").get(pk=order_id)
    try:
        order_mail_send(order, "receipt", {})
    except Exception:
        Order.objects.filter(pk=order_id, receipt_claimed_at=now).update(receipt_claimed_at=None)
        raise
    Order.objects.filter(pk=order_id).update(receipt_sent_at=timezone.now())
    return True


def follow_ups_due(*, now: datetime | None = None) -> dict[str, list[int]]:
    """Paid orders whose receipt never left, lines still owed a refund, open checkouts of
    cancelled seats (for the sweep)."""
    now = now or timezone.now()
    before = now - timedelta(minutes=1)
    from payments.services.ledger_posting import orders_unsettled

    return {
        "settle": orders_unsettled(before=before),
        "receipts": list(
            Order.objects.filter(
                status=OrderStatus.PAID, receipt_sent_at__isnull=True, paid_at__lte=before
            ).values_list("pk", flat=True)[:200]
        ),
        "refunds": list(
            OrderLine.objects.filter(
                Q(status=LineStatus.REFUND_DUE)
                | Q(status=LineStatus.REFUNDED, refund_notified_at__isnull=True),
                order__paid_at__lte=before,
            ).values_list("pk", flat=True)[:200]
        ),
        # Held seats cancelled while their checkout was open, whose closing job was never queued
        # (the broker was down): orders.checkouts_close_for_cancelled_hold, late.
        "closes": list(
            OrderLine.objects.filter(
                status=LineStatus.PENDING,
                order__status__in=sorted(LIVE_ORDER_STATES),
                enrollment__status=EnrollmentStatus.CANCELLED,
                enrollment__updated_at__lte=before,
            )
            .values_list("enrollment_id", flat=True)
            .distinct()[:200]
        ),
    }

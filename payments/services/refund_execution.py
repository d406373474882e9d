"""Carrying a refund out at Stripe, and Stripe's answers applied to it.

- refund_execute (the job) claims the refund, calls Stripe outside any lock with the idempotency
  key `refund:<id>` (a job killed after Stripe answered and retried gets the same refund back),
  raises PaymentUnavailable on retryable errors (5xx, 429, timeouts, connection: the task backs
  off and retries) and stores a refusal as a terminal failure with Stripe's reason.
- Stripe's `refund.*` and `charge.refunded` events (and refund_refresh, asking Stripe) move the
  state forward only; a refund that fails after it succeeded is reopened (failed, shown first to
  staff) and its ledger entry reversed.
- A succeeded refund is posted to the ledger by its own job (refund_ledger.refund_settle); the
  learner is told how it ended by another (refund_notices.refund_outcome_send).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.jobs import enqueue_after_commit
from ledger.models import TransactionKind
from ledger.services import ledger_post, refund_reversal_lines
from payments import stripe_api
from payments.models import LineStatus, Order, OrderLine, Refund
from payments.services import locks
from payments.services.refund_states import R, refund_move
from payments.services.routing import destination_unit
from tenants.models import Tenant

logger = logging.getLogger(__name__)


def destination_charge(order: Order) -> bool:
    """The order was one destination charge to a connected unit (see routing)."""
    return destination_unit(order.lines.select_related("unit")) is not None


def _stripe_params(refund: Refund, line: OrderLine, order: Order) -> dict[str, Any]:
    params: dict[str, Any] = {
        "amount": refund.amount_minor,
        "reason": "requested_by_customer",
        "metadata": {
            "refund_id": str(refund.pk),
            "order_reference": order.reference,
            "line": str(line.pk),
        },
    }
    if order.charge_id:
        params["charge"] = order.charge_id
    else:
        params["payment_intent"] = order.payment_intent_id
    if destination_charge(order):
        # The unit gives back what the learner gets back (Stripe reverses the whole-charge transfer
        # by the refunded amount); the application fee, which paid Stripe's fee, stays.
        params["reverse_transfer"] = True
    return params


def refund_execute(*, refund_id: int, now: datetime | None = None) -> str:
    """The refund job: claim, call Stripe (idempotency key `refund:<id>`), save the answer.
    Returns the refund's state afterwards. Safe to run again at any point."""
    now = now or timezone.now()
    with transaction.atomic():
        refund = locks.lock_refund(refund_id=refund_id)
        if refund is None or refund.state not in (R.REQUESTED, R.PROCESSING):
            return refund.state if refund is not None else ""
        if refund.state == R.PROCESSING and refund.stripe_refund_id:
            return str(refund.state)  # Stripe has it; its events say how it ends
        refund.attempts += 1
        if refund.state == R.REQUESTED:
            refund_move(refund, R.PROCESSING, now=now, why=_("Sent to Stripe."), fields=["attempts"])
        else:
            refund.save(update_fields=["attempts"])
    line = OrderLine.objects.select_related("order__tenant").get(pk=refund.line_id)
    order = line.order
    try:
        answer = stripe_api.refund_create(
            tenant=order.tenant, params=_stripe_params(refund, line, order), key=refund.key
        )
    except stripe_api.StripeRefused as refused:
        _refused(refund_id, reason=str(refused), now=timezone.now())
        return R.FAILED
    return refund_answer_apply(refund_id, answer, now=timezone.now())


def _refused(refund_id: int, *, reason: str, now: datetime) -> None:
    with transaction.atomic():
        refund = locks.lock_refund(refund_id=refund_id)
        if refund is None:
            return
        refund.failure_reason = reason[:500]
        if refund_move(
            refund, R.FAILED, now=now, why=_("Stripe refused the refund."), fields=["failure_reason"]
        ):
            _tell_learner(refund)


def refund_answer_apply(
    refund_id: int, answer: dict[str, Any], *, now: datetime, stripe_event_id: str = ""
) -> str:
    """Stripe's refund object, from the call or from an event, applied to our row (forward only)."""
    with transaction.atomic():
        refund = locks.lock_refund(refund_id=refund_id)
        if refund is None:
            return ""
        fields = []
        if not refund.stripe_refund_id and answer.get("id"):
            refund.stripe_refund_id = answer["id"]
            fields.append("stripe_refund_id")
        status = answer.get("status")
        if status == "succeeded":
            if refund_move(
                refund,
                R.SUCCEEDED,
                now=now,
                why=_("Stripe refunded it."),
                stripe_event_id=stripe_event_id,
                fields=fields,
            ):
                _after_succeeded(refund)
            elif fields:
                refund.save(update_fields=fields)
        elif status in ("failed", "canceled"):
            refund.failure_reason = str(answer.get("failure_reason") or status)[:500]
            was = refund.state
            if refund_move(
                refund,
                R.FAILED,
                now=now,
                why=_("Stripe says the refund failed: %(reason)s") % {"reason": refund.failure_reason},
                stripe_event_id=stripe_event_id,
                fields=[*fields, "failure_reason"],
            ):
                if was == R.SUCCEEDED:
                    _reverse_in_ledger(refund, now=now)
                _tell_learner(refund)
            elif fields:
                refund.save(update_fields=fields)
        elif fields:  # pending, requires_action: Stripe has it; its events say how it ends
            refund.save(update_fields=fields)
        return str(refund.state)


def _after_succeeded(refund: Refund) -> None:
    line = refund.line
    if line.status == LineStatus.REFUND_DUE:
        late = OrderLine.objects.filter(pk=line.pk, status=LineStatus.REFUND_DUE).update(
            status=LineStatus.REFUNDED, refund_id=refund.stripe_refund_id
        )
        if late:  # a late payment's refund: tell the learner (settlement.line_late_refund)
            enqueue_after_commit("payments.late_refund", line.pk)
    enqueue_after_commit("payments.refund_settle", refund.pk)
    _tell_learner(refund)


def _tell_learner(refund: Refund) -> None:
    """After commit: the learner is e-mailed how the refund ended (refund_outcome_send)."""
    enqueue_after_commit("payments.refund_outcome", refund.pk)


def _reverse_in_ledger(refund: Refund, *, now: datetime) -> None:
    """A refund that failed after it succeeded: its money is back at Stripe; the ledger's refund
    is reversed (refund_reversal_lines). A transfer reversal already made for a connected unit
    stays; staff settle that by hand (the refund shows as failed first in the console)."""
    if refund.settled_at is None:
        return  # never posted: nothing to reverse (refund_settle posts only succeeded refunds)
    line = refund.line
    ledger_post(
        tenant=refund.tenant,
        kind=TransactionKind.REFUND_REVERSAL,
        source_ref=refund.stripe_refund_id,
        currency=refund.currency,
        lines=refund_reversal_lines(unit_id=line.unit_id, amount=refund.amount_minor, line_ref=line.line_ref),
        occurred_at=now,
        order_ref=Order.objects.filter(pk=line.order_id).values_list("reference", flat=True).get(),
        memo=f"Refund {refund.stripe_refund_id} failed: {refund.failure_reason}",
    )


def refund_event_apply(*, tenant: Tenant, stripe_refund: dict[str, Any], stripe_event_id: str) -> bool:
    """A `refund.*` event (or one refund of `charge.refunded`): our refund found by the id in its
    metadata or by Stripe's id, moved forward. Refunds we did not ask for are logged and left."""
    metadata = stripe_refund.get("metadata") or {}
    found = Refund.objects.filter(tenant=tenant)
    refund_id = str(metadata.get("refund_id") or "")
    if refund_id.isdigit():
        found = found.filter(pk=int(refund_id))
    elif stripe_refund.get("id"):
        found = found.filter(stripe_refund_id=stripe_refund["id"])
    else:
        return False
    pk = found.values_list("pk", flat=True).first()
    if pk is None:
        logger.info("Stripe refund %s is none of ours (tenant %s)", stripe_refund.get("id"), tenant.pk)
        return False
    refund_answer_apply(pk, stripe_refund, now=timezone.now(), stripe_event_id=stripe_event_id)
    return True


def charge_refunded_apply(*, tenant: Tenant, charge: dict[str, Any], stripe_event_id: str) -> int:
    refunds = (charge.get("refunds") or {}).get("data") or []
    return sum(
        refund_event_apply(tenant=tenant, stripe_refund=r, stripe_event_id=stripe_event_id) for r in refunds
    )


def refund_refresh(*, refund_id: int) -> str:
    """A refund Stripe answered `pending` (or whose events never came): ask Stripe how it ended."""
    refund = Refund.objects.select_related("tenant").filter(pk=refund_id).first()
    if refund is None or refund.state != R.PROCESSING or not refund.stripe_refund_id:
        return refund.state if refund is not None else ""
    answer = stripe_api.refund_retrieve(tenant=refund.tenant, refund_id=refund.stripe_refund_id)
    return refund_answer_apply(refund.pk, answer.to_dict(), now=timezone.now())

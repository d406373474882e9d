"""Telling the learner about a refund, each thing once: a sender claims the refund's mail
(`mail_claimed_at`, a conditional UPDATE; a dead sender's claim lapses after CLAIM_TIMEOUT) and
marks it sent only once the mail server took it, so a repeated event, a retried job or the sweep
sends nothing more, and a worker dying mid-send loses nothing:

- refund_notice_send: staff cancelled the seat (one learner's, or a whole offering's): the seat
  is cancelled and how much goes back to which card (an announced refund, refund_announced);
- refund_outcome_send: the refund succeeded (how much, to which card, when to expect it) or
  failed (staff were alerted; whom to contact); an announced refund is mailed again only if it
  fails;
- refund_resolution_send: a failed refund settled by hand, and how.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from core.jobs import enqueue_after_commit
from core.money import format_money
from payments import stripe_api
from payments.models import Order, Refund, RefundRequester, refund_announced
from payments.presenters import card_words
from payments.services.order_mail import order_mail_send
from payments.services.refund_states import R

logger = logging.getLogger(__name__)


# A sender that claimed a refund's mail and died: after this, the sweep's job sends it.
CLAIM_TIMEOUT = timedelta(minutes=5)


def _claim(rows: QuerySet[Refund], now: datetime) -> bool:
    """Take the refund's mail (one sender at a time; a dead sender's claim lapses)."""
    lapsed = Q(mail_claimed_at__isnull=True) | Q(mail_claimed_at__lt=now - CLAIM_TIMEOUT)
    return bool(rows.filter(lapsed).update(mail_claimed_at=now))


def _release(refund_id: int, claimed_at: datetime) -> None:
    """The mail server refused: the claim goes (if still ours), nothing is marked sent."""
    Refund.objects.filter(pk=refund_id, mail_claimed_at=claimed_at).update(mail_claimed_at=None)


def _sent(refund_id: int, **marks: Any) -> None:
    """The mail server took it (or there is nothing to send): mark it, drop the claim."""
    Refund.objects.filter(pk=refund_id).update(mail_claimed_at=None, **marks)


def refund_notice_send(*, refund_id: int, now: datetime | None = None) -> bool:
    """E-mail the learner once that staff cancelled their seat (or the whole offering) and how
    much is refunded to which card: the one mail of an announced refund (refund_announced), which
    is mailed again only if it fails (refund_outcome_send, asked here if it failed already)."""
    now = now or timezone.now()
    if not _claim(Refund.objects.filter(refund_announced(), pk=refund_id, notified_at__isnull=True), now):
        return False
    refund = Refund.objects.select_related("line__order__tenant", "batch").get(pk=refund_id)
    try:
        order_mail_send(
            refund.line.order,
            "refund_notice",
            {
                "line": refund.line,
                "refund": refund,
                "amount": format_money(refund.amount_minor, refund.currency),
                "card": refund_card(refund.line.order),
                "why": refund.batch.reason if refund.batch else refund.reason,
            },
        )
    except Exception:
        _release(refund_id, now)
        raise
    _sent(refund_id, notified_at=timezone.now())
    if refund.state == R.FAILED:  # it failed before the notice left: the failure is mailed now
        enqueue_after_commit("payments.refund_outcome", refund.pk)
    return True


def _late_payment_refund(refund: Refund) -> bool:
    """The automatic refund of a line paid too late: settlement.line_late_refund tells the
    learner when it succeeds (one mail per refund)."""
    return refund.requested_by_kind == RefundRequester.SYSTEM and ":late-refund:" in refund.idempotency_key


def refund_card(order: Order) -> str:
    """Which card the money goes back to, read from the original charge at Stripe ("your Visa card
    ending in 4242"); "the card you paid with" when Stripe does not say (or cannot be reached)."""
    fallback = _("the card you paid with")
    try:
        charge = stripe_api.charge_of(
            tenant=order.tenant, charge_id=order.charge_id, payment_intent_id=order.payment_intent_id
        )
    except Exception:  # the e-mail still goes out, saying less
        logger.warning("could not read the card of order %s", order.reference, exc_info=True)
        return fallback
    card = ((charge or {}).get("payment_method_details") or {}).get("card") or {}
    return card_words(card) or fallback


def refund_outcome_send(*, refund_id: int) -> bool:
    """E-mail the learner once that their refund succeeded (how much, to which card, when to
    expect it) or failed (staff were alerted; whom to contact). The outcome mailed is claimed by a
    conditional UPDATE of `outcome_notified`, so a repeated event or a retried job sends nothing;
    a refund that failed after it succeeded is mailed again, once, about the failure."""
    row = Refund.objects.filter(pk=refund_id).values_list("state", "outcome_notified").first()
    if row is None:
        return False
    state, previous = row
    if state not in (R.SUCCEEDED, R.FAILED) or previous == state:
        return False
    if Refund.objects.filter(refund_announced(), pk=refund_id, notified_at__isnull=True).exists():
        return False  # the notice goes first (refund_notice_send asks again after it)
    now = timezone.now()
    if not _claim(Refund.objects.filter(pk=refund_id, state=state, outcome_notified=previous), now):
        return False
    refund = Refund.objects.select_related("line__order__tenant").get(pk=refund_id)
    if state == R.SUCCEEDED and _late_payment_refund(refund):
        _sent(refund_id, outcome_notified=state)
        return False  # the late-payment refund mail says it (settlement.line_late_refund)
    if state == R.SUCCEEDED and refund.is_announced:
        _sent(refund_id, outcome_notified=state)
        return False  # the notice said it is being refunded; only a failure is news
    order = refund.line.order
    extra: dict[str, Any] = {
        "line": refund.line,
        "refund": refund,
        "amount": format_money(refund.amount_minor, refund.currency),
    }
    if state == R.SUCCEEDED:
        extra["card"] = refund_card(order)
    try:
        order_mail_send(order, "refund_succeeded" if state == R.SUCCEEDED else "refund_failed", extra)
    except Exception:
        _release(refund_id, now)
        raise
    _sent(refund_id, outcome_notified=state)
    return True


def refund_resolution_send(*, refund_id: int) -> bool:
    """E-mail the learner once that the refund which failed was settled by hand: how much, and
    how (the note staff wrote). Claimed by a conditional UPDATE of `outcome_notified`."""
    row = Refund.objects.filter(pk=refund_id, state=R.RESOLVED, retried_as__isnull=True)
    previous = row.values_list("outcome_notified", flat=True).first()
    if previous is None or previous == R.RESOLVED:
        return False
    now = timezone.now()
    if not _claim(row.filter(outcome_notified=previous), now):
        return False
    refund = Refund.objects.select_related("line__order__tenant").get(pk=refund_id)
    try:
        order_mail_send(
            refund.line.order,
            "refund_resolved",
            {
                "line": refund.line,
                "refund": refund,
                "amount": format_money(refund.amount_minor, refund.currency),
                "how": refund.resolution_note,
            },
        )
    except Exception:
        _release(refund_id, now)
        raise
    _sent(refund_id, outcome_notified=R.RESOLVED)
    return True

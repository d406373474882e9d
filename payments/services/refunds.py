"""Refunds: one row per refund of one order line, `requested → processing → succeeded | failed`
(then `resolved` by hand with a note, or retried as a new refund), carried out by a Celery job.

- refund_request locks the order line and refuses more than is left to refund on it (what was
  paid less every refund requested, processing or succeeded), so concurrent requests can never
  over-refund; the job is enqueued after commit, and the minute sweep re-finds refunds stuck.
- refund_execute (the job) claims the refund, calls Stripe outside any lock with the idempotency
  key `refund:<id>` (a job killed after Stripe answered and retried gets the same refund back),
  raises PaymentUnavailable on retryable errors (5xx, 429, timeouts, connection: the task backs
  off and retries) and stores a refusal as a terminal failure with Stripe's reason.
- Stripe's `refund.*` and `charge.refunded` events move the state forward only; a refund that
  fails after it succeeded is reopened (failed, shown first to staff) and its ledger entry reversed.
- refund_settle posts a succeeded refund to the ledger (refund_lines, source its `re_…`) and, for a
  unit settled through Stripe Connect, reverses its share of the transfer (transfer_reversal_lines).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from functools import partial
from typing import Any

import stripe
from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.money import format_money
from identity.models import User
from ledger.models import LedgerEntry, TransactionKind
from ledger.services import ledger_post, refund_lines, refund_reversal_lines, transfer_reversal_lines
from payments import stripe_api
from payments.errors import RefundRefused
from payments.models import (
    REFUND_MOVES,
    LineStatus,
    Order,
    OrderLine,
    OrderStatus,
    Refund,
    RefundBatch,
    RefundRequester,
    RefundState,
    RefundTransition,
    refund_announced,
    refund_counted,
)
from payments.services.routing import destination_unit, is_connected
from tenants.models import Tenant

logger = logging.getLogger(__name__)
STUCK_AFTER = timedelta(minutes=2)
REFRESH_AFTER = timedelta(hours=1)  # a refund pending at Stripe: ask how it ended, hourly
R = RefundState


# ---------------------------------------------------------------------------------------- reads


def refunded_minor(line: OrderLine) -> int:
    """What is on its way back or gone back on this line (requested, processing, succeeded, or
    resolved by hand)."""
    total = line.refunds.filter(refund_counted()).aggregate(total=Sum("amount_minor"))["total"]
    return int(total or 0)


def refundable_minor(line: OrderLine) -> int:
    """What may still be refunded on this line (0 unless its order was paid)."""
    if line.order.status != OrderStatus.PAID:
        return 0
    return max(0, line.amount_minor - refunded_minor(line))


def refund_note(refund: Refund) -> str:
    """How a learner sees a refund (My learning, the order page)."""
    amount = format_money(refund.amount_minor, refund.currency)
    if refund.state in (RefundState.REQUESTED, RefundState.PROCESSING):
        return _("Refund of %(amount)s pending.") % {"amount": amount}
    if refund.state == RefundState.SUCCEEDED:
        return _("Refunded: %(amount)s. Your bank may take 5–10 days to show it.") % {"amount": amount}
    if refund.state == RefundState.FAILED:
        return _(
            "The refund of %(amount)s did not go through; the unit has been told and will sort it out."
        ) % {"amount": amount}
    return _("The refund of %(amount)s was settled by the unit.") % {"amount": amount}


# ---------------------------------------------------------------------------------------- writes


def _move(
    refund: Refund,
    to: str,
    *,
    now: datetime,
    actor: User | None = None,
    why: str = "",
    stripe_event_id: str = "",
    fields: Iterable[str] = (),
) -> bool:
    """Move a locked refund to `to` if REFUND_MOVES allows it, recording who, when, from, to, why."""
    if to not in REFUND_MOVES[refund.state]:
        return False
    previous = refund.state
    refund.state = to
    refund.updated_at = now
    if to == R.SUCCEEDED:
        refund.succeeded_at = now
    if to == R.FAILED:
        refund.failed_at = now
    refund.save(update_fields=["state", "updated_at", "succeeded_at", "failed_at", *fields])
    RefundTransition.objects.create(
        refund=refund,
        tenant_id=refund.tenant_id,
        from_state=previous,
        to_state=to,
        actor=actor,
        why=why[:2000],
        stripe_event_id=stripe_event_id,
        at=now,
    )
    return True


def refund_request(
    *,
    tenant: Tenant,
    line_id: int,
    amount_minor: int,
    reason: str,
    requested_by_kind: str,
    requested_by: User | None = None,
    cancelled_enrollment: bool = False,
    batch: RefundBatch | None = None,
    idempotency_key: str = "",
    now: datetime | None = None,
    bulk: bool = False,
) -> Refund:
    """Ask for `amount_minor` back on one paid order line. Refused (nothing written) when the
    amount is not positive or exceeds what is left to refund on the line. Must be called in a
    transaction or not: it opens its own; the job is enqueued after the outermost commit."""
    now = now or timezone.now()
    reason = reason.strip()
    if not reason:
        message = _("Say why: it is kept with the refund.")
        raise RefundRefused(message, code="refund_reason_missing", fields={"reason": [message]})
    if not isinstance(amount_minor, int) or isinstance(amount_minor, bool) or amount_minor <= 0:
        message = _("Refund a positive amount.")
        raise RefundRefused(message, code="refund_amount_invalid", fields={"amount_minor": [message]})
    with transaction.atomic():
        line = (
            OrderLine.objects.select_for_update(of=("self",))
            .select_related("order")
            .filter(tenant=tenant, pk=line_id)
            .first()
        )
        if line is None:
            raise RefundRefused(_("There is no such order line."), code="refund_line_unknown")
        if line.order.status != OrderStatus.PAID:
            raise RefundRefused(
                _("This order was not paid: there is nothing to refund."), code="refund_unpaid"
            )
        left = line.amount_minor - refunded_minor(line)
        if amount_minor > left:
            message = _("At most %(left)s is left to refund on this line.") % {
                "left": format_money(max(left, 0), line.currency)
            }
            raise RefundRefused(message, code="refund_too_much", fields={"amount_minor": [message]})
        refund = Refund.objects.create(
            tenant=tenant,
            line=line,
            amount_minor=amount_minor,
            currency=line.currency,
            reason=reason,
            requested_by_kind=requested_by_kind,
            requested_by=requested_by,
            cancelled_enrollment=cancelled_enrollment,
            batch=batch,
            idempotency_key=idempotency_key,
            created_at=now,
            updated_at=now,
        )
        RefundTransition.objects.create(
            refund=refund,
            tenant=tenant,
            from_state="",
            to_state=R.REQUESTED,
            actor=requested_by,
            why=reason,
            at=now,
        )
        refund_id = refund.pk
        transaction.on_commit(lambda: enqueue(refund_id, bulk=bulk))
    return refund


def enqueue(refund_id: int, *, bulk: bool = False) -> None:
    from payments import tasks

    try:
        (tasks.refund_execute_bulk if bulk else tasks.refund_execute).delay(refund_id)
    except Exception:  # the broker down at commit: the sweep finds the refund again
        logger.exception("could not enqueue refund %s; the sweep will", refund_id)


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
    if _destination_charge(order):
        # The unit gives back what the learner gets back (Stripe reverses the whole-charge transfer
        # by the refunded amount); the application fee, which paid Stripe's fee, stays.
        params["reverse_transfer"] = True
    return params


def _destination_charge(order: Order) -> bool:
    return destination_unit(order.lines.select_related("unit")) is not None


def refund_execute(*, refund_id: int, now: datetime | None = None) -> str:
    """The refund job: claim, call Stripe (idempotency key `refund:<id>`), save the answer.
    Returns the refund's state afterwards. Safe to run again at any point."""
    now = now or timezone.now()
    with transaction.atomic():
        refund = Refund.objects.select_for_update().filter(pk=refund_id).first()
        if refund is None or refund.state not in (R.REQUESTED, R.PROCESSING):
            return refund.state if refund is not None else ""
        if refund.state == R.PROCESSING and refund.stripe_refund_id:
            return str(refund.state)  # Stripe has it; its events say how it ends
        refund.attempts += 1
        if refund.state == R.REQUESTED:
            _move(refund, R.PROCESSING, now=now, why=_("Sent to Stripe."), fields=["attempts"])
        else:
            refund.save(update_fields=["attempts"])
    line = OrderLine.objects.select_related("order__tenant").get(pk=refund.line_id)
    order = line.order
    client = stripe_api.stripe_client_for(order.tenant)
    try:
        answer = client.v1.refunds.create(
            params=_stripe_params(refund, line, order),  # type: ignore[arg-type]
            options={"idempotency_key": refund.key},
        )
    except stripe_api.RETRYABLE as exc:
        raise stripe_api.unavailable(exc) from exc
    except stripe.StripeError as exc:
        reason = exc.user_message or str(exc) or type(exc).__name__
        code = getattr(exc, "code", None)
        _refused(refund_id, reason=f"{reason} ({code})" if code else reason, now=timezone.now())
        return R.FAILED
    return _save_answer(refund_id, answer.to_dict(), now=timezone.now())


def _refused(refund_id: int, *, reason: str, now: datetime) -> None:
    with transaction.atomic():
        refund = Refund.objects.select_for_update().get(pk=refund_id)
        refund.failure_reason = reason[:500]
        if _move(refund, R.FAILED, now=now, why=_("Stripe refused the refund."), fields=["failure_reason"]):
            _tell_learner(refund)


def _save_answer(refund_id: int, answer: dict[str, Any], *, now: datetime, stripe_event_id: str = "") -> str:
    """Stripe's refund object, from the call or from an event, applied to our row (forward only)."""
    with transaction.atomic():
        refund = Refund.objects.select_for_update(of=("self",)).select_related("line").get(pk=refund_id)
        fields = []
        if not refund.stripe_refund_id and answer.get("id"):
            refund.stripe_refund_id = answer["id"]
            fields.append("stripe_refund_id")
        status = answer.get("status")
        if status == "succeeded":
            if _move(
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
            if _move(
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
            transaction.on_commit(partial(_enqueue, "line_late_refund", line.pk))
    transaction.on_commit(partial(_enqueue, "refund_settle", refund.pk))
    _tell_learner(refund)


def _tell_learner(refund: Refund) -> None:
    """After commit: the learner is e-mailed how the refund ended (refund_outcome_send)."""
    transaction.on_commit(partial(_enqueue, "refund_outcome_send", refund.pk))


def _enqueue(task: str, object_id: int) -> None:
    from payments import tasks

    try:
        getattr(tasks, task).delay(object_id)
    except Exception:
        logger.exception("could not enqueue %s(%s); the sweep will", task, object_id)


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
    _save_answer(pk, stripe_refund, now=timezone.now(), stripe_event_id=stripe_event_id)
    return True


def charge_refunded_apply(*, tenant: Tenant, charge: dict[str, Any], stripe_event_id: str) -> int:
    refunds = (charge.get("refunds") or {}).get("data") or []
    return sum(
        refund_event_apply(tenant=tenant, stripe_refund=r, stripe_event_id=stripe_event_id) for r in refunds
    )


# ------------------------------------------------------------------------------ staff follow-ups


def refund_retry(*, tenant: Tenant, refund_id: int, actor: User, note: str = "") -> Refund:
    """A failed refund tried again: a new refund of the same amount (a new idempotency key, so
    Stripe really tries again); the failed one is resolved, pointing to it."""
    now = timezone.now()
    with transaction.atomic():
        old = Refund.objects.select_for_update().filter(tenant=tenant, pk=refund_id).first()
        if old is None:
            raise RefundRefused(_("There is no such refund."), code="refund_unknown")
        if old.state != R.FAILED:
            raise RefundRefused(_("Only a failed refund can be retried."), code="refund_not_failed")
        new = refund_request(
            tenant=tenant,
            line_id=old.line_id,
            amount_minor=old.amount_minor,
            reason=old.reason,
            requested_by_kind=RefundRequester.STAFF,
            requested_by=actor,
            cancelled_enrollment=old.cancelled_enrollment,
            now=now,
        )
        Refund.objects.filter(pk=new.pk).update(retry_of=old)
        old.resolution_note = note.strip() or _("Retried as refund %(id)s.") % {"id": new.pk}
        _move(
            old,
            R.RESOLVED,
            now=now,
            actor=actor,
            why=_("Retried as refund %(id)s.") % {"id": new.pk},
            fields=["resolution_note"],
        )
    new.retry_of = old
    return new


def refund_resolve(*, tenant: Tenant, refund_id: int, actor: User, note: str) -> Refund:
    """A failed refund closed by hand (e.g. paid back by bank transfer), with a note saying how."""
    note = note.strip()
    if not note:
        message = _("Say how it was resolved: the note is kept with the refund.")
        raise RefundRefused(message, code="refund_note_missing", fields={"note": [message]})
    with transaction.atomic():
        refund = Refund.objects.select_for_update().filter(tenant=tenant, pk=refund_id).first()
        if refund is None:
            raise RefundRefused(_("There is no such refund."), code="refund_unknown")
        refund.resolution_note = note
        if not _move(
            refund, R.RESOLVED, now=timezone.now(), actor=actor, why=note, fields=["resolution_note"]
        ):
            raise RefundRefused(_("Only a failed refund can be resolved by hand."), code="refund_not_failed")
        transaction.on_commit(partial(_enqueue, "refund_resolution_send", refund.pk))
    return refund


# ----------------------------------------------------------------------------------- the ledger


def refund_settle(*, refund_id: int, now: datetime | None = None) -> bool:
    """Post a succeeded refund to the ledger once; reverse a connected unit's share first."""
    now = now or timezone.now()
    refund = Refund.objects.select_related("line__order__tenant", "line__unit").filter(pk=refund_id).first()
    if refund is None or refund.state != R.SUCCEEDED or refund.settled_at is not None:
        return False
    line = refund.line
    order = line.order
    reversal_id, reversed_minor = refund.transfer_reversal_id, refund.transfer_reversed_minor
    if is_connected(line.unit) and not reversal_id:
        reversal_id, reversed_minor = _reverse_transfer(refund, line, order)
        Refund.objects.filter(pk=refund.pk).update(
            transfer_reversal_id=reversal_id, transfer_reversed_minor=reversed_minor
        )
    with transaction.atomic():
        locked = Refund.objects.select_for_update().get(pk=refund.pk)
        if locked.state != R.SUCCEEDED or locked.settled_at is not None:
            return False  # failed meanwhile (nothing to post) or posted by another run
        occurred = locked.succeeded_at or now
        ledger_post(
            tenant=order.tenant,
            kind=TransactionKind.REFUND,
            source_ref=locked.stripe_refund_id,
            currency=locked.currency,
            lines=refund_lines(unit_id=line.unit_id, amount=locked.amount_minor, line_ref=line.line_ref),
            occurred_at=occurred,
            order_ref=order.reference,
            memo=f"Refund {locked.pk}: {locked.reason}"[:300],
        )
        if reversal_id and reversed_minor > 0:
            ledger_post(
                tenant=order.tenant,
                kind=TransactionKind.TRANSFER_REVERSAL,
                source_ref=reversal_id,
                currency=locked.currency,
                lines=transfer_reversal_lines(unit_id=line.unit_id, amount=reversed_minor),
                occurred_at=occurred,
                order_ref=order.reference,
                memo=f"{line.unit.name}'s share of refund {locked.stripe_refund_id} taken back",
            )
        locked.settled_at = now
        locked.save(update_fields=["settled_at"])
    return True


def _settled_net(order: Order, unit_id: int) -> int:
    """What the ledger moved to the unit for this order (its transfers)."""
    total = LedgerEntry.objects.filter(
        transaction__tenant=order.tenant,
        transaction__kind=TransactionKind.TRANSFER,
        transaction__order_ref=order.reference,
        unit_id=unit_id,
        amount__gt=0,
    ).aggregate(total=Sum("amount"))["total"]
    return int(total or 0)


def _reverse_transfer(refund: Refund, line: OrderLine, order: Order) -> tuple[str, int]:
    """The connected unit gives back what the learner got back: processing fees are not returned
    by Stripe on a refund, so they stay the unit's (its fee account already carries them), and
    the unit's net (gross − refunds − fees) stays equal to what was settled to it.

    A destination charge: Stripe reversed the transfer with the refund (`reverse_transfer`); the
    ledger records Stripe's own reversal. A multi-unit order: a reversal of the unit's transfer
    by the refunded amount, capped at what is left of it, idempotency key
    `refund:<id>:transfer-reversal`."""
    if order.settled_at is None:
        raise stripe_api.unavailable(stripe.APIError("order not settled yet"))  # wait for order_settle
    client = stripe_api.stripe_client_for(order.tenant)
    if _destination_charge(order):
        try:
            answer = client.v1.refunds.retrieve(
                refund.stripe_refund_id, params={"expand": ["transfer_reversal"]}
            )
        except stripe_api.RETRYABLE as exc:
            raise stripe_api.unavailable(exc) from exc
        reversal = answer.transfer_reversal
        if reversal is None or isinstance(reversal, str):
            return "", 0
        return reversal.id, int(reversal.amount)
    if line.status != LineStatus.CONFIRMED:
        return "", 0  # a late-payment line was never passed on to the unit
    reversed_before = (
        Refund.objects.filter(line__order=order, line__unit_id=line.unit_id, state=R.SUCCEEDED)
        .exclude(pk=refund.pk)
        .aggregate(reversed=Sum("transfer_reversed_minor"))["reversed"]
    )
    amount = min(refund.amount_minor, _settled_net(order, line.unit_id) - int(reversed_before or 0))
    if amount <= 0:
        return "", 0
    try:
        transfers = client.v1.transfers.list(
            params={"transfer_group": order.transfer_group, "destination": line.unit.stripe_account_id}
        )
        transfer = next(iter(transfers.data), None)
        if transfer is None:
            return "", 0
        made = client.v1.transfers.reversals.create(
            transfer.id,
            params={"amount": amount, "metadata": {"refund_id": str(refund.pk)}},
            options={"idempotency_key": f"refund:{refund.pk}:transfer-reversal"},
        )
    except stripe_api.RETRYABLE as exc:
        raise stripe_api.unavailable(exc) from exc
    return made.id, amount


# ------------------------------------------------------------------------------------- the sweep


def refunds_due(*, now: datetime | None = None) -> dict[str, list[int]]:
    """Refunds left in requested/processing without a Stripe answer, succeeded refunds not yet in
    the ledger, and a cancelled offering's refunds whose learner was not told yet, older than two
    minutes; succeeded or failed refunds whose learner was not told of it; refunds pending at
    Stripe for an hour (for the sweep)."""
    now = now or timezone.now()
    before = now - STUCK_AFTER
    return {
        "execute": list(
            Refund.objects.filter(
                state__in=(R.REQUESTED, R.PROCESSING), stripe_refund_id="", updated_at__lte=before
            ).values_list("pk", flat=True)[:200]
        ),
        "settle": list(
            Refund.objects.filter(
                state=R.SUCCEEDED, settled_at__isnull=True, updated_at__lte=before
            ).values_list("pk", flat=True)[:200]
        ),
        "refresh": list(
            Refund.objects.filter(state=R.PROCESSING, updated_at__lte=now - REFRESH_AFTER)
            .exclude(stripe_refund_id="")
            .values_list("pk", flat=True)[:200]
        ),
        "outcomes": list(
            Refund.objects.filter(state__in=(R.SUCCEEDED, R.FAILED), updated_at__lte=before)
            .exclude(outcome_notified=F("state"))
            .values_list("pk", flat=True)[:200]
        ),
        "resolutions": list(
            Refund.objects.filter(state=R.RESOLVED, retried_as__isnull=True, updated_at__lte=before)
            .exclude(outcome_notified=R.RESOLVED)
            .values_list("pk", flat=True)[:200]
        ),
        "notices": list(
            Refund.objects.filter(
                refund_announced(), notified_at__isnull=True, created_at__lte=before
            ).values_list("pk", flat=True)[:200]
        ),
    }


def refund_refresh(*, refund_id: int) -> str:
    """A refund Stripe answered `pending` (or whose events never came): ask Stripe how it ended."""
    refund = Refund.objects.select_related("tenant").filter(pk=refund_id).first()
    if refund is None or refund.state != R.PROCESSING or not refund.stripe_refund_id:
        return refund.state if refund is not None else ""
    client = stripe_api.stripe_client_for(refund.tenant)
    try:
        answer = client.v1.refunds.retrieve(refund.stripe_refund_id)
    except stripe_api.RETRYABLE as exc:
        raise stripe_api.unavailable(exc) from exc
    return _save_answer(refund.pk, answer.to_dict(), now=timezone.now())


def refund_notice_send(*, refund_id: int, now: datetime | None = None) -> bool:
    """E-mail the learner once that staff cancelled their seat (or the whole offering) and how
    much is refunded to which card: the one mail of an announced refund (refund_announced), which
    is mailed again only if it fails (refund_outcome_send, asked here if it failed already)."""
    from payments.services.settlement import _send

    now = now or timezone.now()
    claimed = Refund.objects.filter(refund_announced(), pk=refund_id, notified_at__isnull=True).update(
        notified_at=now
    )
    if not claimed:
        return False
    refund = Refund.objects.select_related("line__order__tenant", "batch").get(pk=refund_id)
    try:
        _send(
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
        Refund.objects.filter(pk=refund_id).update(notified_at=None)
        raise
    if refund.state == R.FAILED:  # it failed before the notice left: the failure is mailed now
        _tell_learner(refund)
    return True


# ------------------------------------------------------------------- telling the learner the end

CARD_BRANDS = {
    "amex": "American Express",
    "diners": "Diners Club",
    "discover": "Discover",
    "jcb": "JCB",
    "mastercard": "Mastercard",
    "unionpay": "UnionPay",
    "visa": "Visa",
}


def _late_payment_refund(refund: Refund) -> bool:
    """The automatic refund of a line paid too late: settlement.line_late_refund tells the
    learner when it succeeds (one mail per refund)."""
    return refund.requested_by_kind == RefundRequester.SYSTEM and ":late-refund:" in refund.idempotency_key


def refund_card(order: Order) -> str:
    """Which card the money goes back to, read from the original charge at Stripe ("your Visa card
    ending in 4242"); "the card you paid with" when Stripe does not say (or cannot be reached)."""
    fallback = _("the card you paid with")
    try:
        client = stripe_api.stripe_client_for(order.tenant)
        charge_id = order.charge_id
        if not charge_id and order.payment_intent_id:
            intent = client.v1.payment_intents.retrieve(order.payment_intent_id).to_dict()
            latest = intent.get("latest_charge")
            charge_id = latest.get("id", "") if isinstance(latest, dict) else str(latest or "")
        if not charge_id:
            return fallback
        charge = client.v1.charges.retrieve(charge_id).to_dict()
    except Exception:  # the e-mail still goes out, saying less
        logger.warning("could not read the card of order %s", order.reference, exc_info=True)
        return fallback
    card = (charge.get("payment_method_details") or {}).get("card") or {}
    last4 = str(card.get("last4") or "")
    if not last4:
        return fallback
    brand = str(card.get("brand") or "")
    return _("your %(brand)s card ending in %(last4)s") % {
        "brand": CARD_BRANDS.get(brand, brand.title() or _("payment")),
        "last4": last4,
    }


def refund_outcome_send(*, refund_id: int) -> bool:
    """E-mail the learner once that their refund succeeded (how much, to which card, when to
    expect it) or failed (staff were alerted; whom to contact). The outcome mailed is claimed by a
    conditional UPDATE of `outcome_notified`, so a repeated event or a retried job sends nothing;
    a refund that failed after it succeeded is mailed again, once, about the failure."""
    from payments.services.settlement import _send

    row = Refund.objects.filter(pk=refund_id).values_list("state", "outcome_notified").first()
    if row is None:
        return False
    state, previous = row
    if state not in (R.SUCCEEDED, R.FAILED) or previous == state:
        return False
    if Refund.objects.filter(refund_announced(), pk=refund_id, notified_at__isnull=True).exists():
        return False  # the notice goes first (refund_notice_send asks again after it)
    claimed = Refund.objects.filter(pk=refund_id, state=state, outcome_notified=previous).update(
        outcome_notified=state
    )
    if not claimed:
        return False
    refund = Refund.objects.select_related("line__order__tenant").get(pk=refund_id)
    if state == R.SUCCEEDED and _late_payment_refund(refund):
        return False  # the late-payment refund mail says it (settlement.line_late_refund)
    if state == R.SUCCEEDED and refund.is_announced:
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
        _send(order, "refund_succeeded" if state == R.SUCCEEDED else "refund_failed", extra)
    except Exception:
        Refund.objects.filter(pk=refund_id, outcome_notified=state).update(outcome_notified=previous)
        raise
    return True


def refund_resolution_send(*, refund_id: int) -> bool:
    """E-mail the learner once that the refund which failed was settled by hand: how much, and
    how (the note staff wrote). Claimed by a conditional UPDATE of `outcome_notified`."""
    from payments.services.settlement import _send

    row = Refund.objects.filter(pk=refund_id, state=R.RESOLVED, retried_as__isnull=True)
    previous = row.values_list("outcome_notified", flat=True).first()
    if previous is None or previous == R.RESOLVED:
        return False
    if not row.filter(outcome_notified=previous).update(outcome_notified=R.RESOLVED):
        return False
    refund = Refund.objects.select_related("line__order__tenant").get(pk=refund_id)
    try:
        _send(
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
        Refund.objects.filter(pk=refund_id).update(outcome_notified=previous)
        raise
    return True

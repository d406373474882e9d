"""A succeeded refund into the ledger, once (its job, after the refund succeeded): refund_lines,
source its `re_…`; for a unit settled through Stripe Connect, its share of the transfer is taken
back first (transfer_reversal_lines). A refund that fails later is reversed by refund_execution."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from ledger.models import LedgerEntry, TransactionKind
from ledger.services import ledger_post, refund_lines, transfer_reversal_lines
from payments import stripe_api
from payments.models import LineStatus, Order, OrderLine, Refund
from payments.services import locks
from payments.services.refund_execution import destination_charge
from payments.services.refund_states import R
from payments.services.routing import is_connected


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
        locked = locks.lock_refund(refund_id=refund.pk)
        if locked is None or locked.state != R.SUCCEEDED or locked.settled_at is not None:
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
        raise stripe_api.unavailable()  # wait for order_settle (the task retries)
    if destination_charge(order):
        answer = stripe_api.refund_retrieve(
            tenant=order.tenant, refund_id=refund.stripe_refund_id, expand=["transfer_reversal"]
        )
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
    transfer = stripe_api.transfer_find(
        tenant=order.tenant, transfer_group=order.transfer_group, destination=line.unit.stripe_account_id
    )
    if transfer is None:
        return "", 0
    made = stripe_api.transfer_reversal_create(
        tenant=order.tenant,
        transfer_id=transfer.id,
        params={"amount": amount, "metadata": {"refund_id": str(refund.pk)}},
        key=f"refund:{refund.pk}:transfer-reversal",
    )
    return made.id, amount

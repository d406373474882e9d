"""The order's money in the ledger, and its share moved to units with their own Stripe account.

After a payment (a job, outside any lock; safe to run again):
1. the charge and its balance transaction are read from Stripe: the real processing fee;
2. the charge is posted (ledger.charge_lines): processor clearing debited with the gross, each
   unit's revenue credited with its lines, the fee split pro rata to the units' fee accounts by
   their gross (ledger.fee_split), source `ch_…` — idempotent, so a re-run posts nothing new;
3. connected units (payments.services.routing) get their share:
   - a destination charge (single-unit order): Stripe moved the amount less the application fee
     (our fee estimate) to the unit; the ledger records that net as the unit's transfer (`tr_…`);
   - a multi-unit order: one transfer per connected unit, `transfer_group` = the order's, with
     `source_transaction` = the charge, of the unit's confirmed lines less its pro-rata share of
     the real fee (lines refunded for lack of a seat are not passed on), idempotency key
     `order:<id>:transfer:<unit>`; the ledger records each (`tr_…`).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

from django.utils import timezone

from ledger.models import TransactionKind
from ledger.services import ChargeLine, charge_lines, discount_lines, fee_split, ledger_post, transfer_lines
from payments import stripe_api
from payments.models import LineStatus, Order, OrderLine, OrderStatus
from payments.services.routing import is_connected


def _at(timestamp: int) -> datetime:
    return datetime.fromtimestamp(timestamp, tz=UTC)


def order_settle(*, order_id: int) -> bool:
    order = Order.objects.select_related("tenant").filter(pk=order_id, status=OrderStatus.PAID).first()
    if order is None or order.settled_at is not None:
        return False
    if order.amount_minor == 0:  # a fee waiver: no charge, only what the units gave
        _post_discounts(order, kind=TransactionKind.WAIVER, at=order.paid_at or timezone.now())
        Order.objects.filter(pk=order.pk, settled_at__isnull=True).update(settled_at=timezone.now())
        return True
    if not order.payment_intent_id:
        return False
    intent = stripe_api.payment_intent_retrieve(tenant=order.tenant, intent_id=order.payment_intent_id)
    charge_id = intent.latest_charge if isinstance(intent.latest_charge, str) else intent.latest_charge.id  # type: ignore[union-attr]
    charge = stripe_api.charge_retrieve(
        tenant=order.tenant, charge_id=charge_id, expand=["balance_transaction"]
    )
    balance: Any = charge.balance_transaction
    fee = int(balance.fee)
    lines = list(order.lines.select_related("unit").order_by("pk"))
    ledger_post(
        tenant=order.tenant,
        kind=TransactionKind.CHARGE,
        source_ref=charge.id,
        currency=order.currency,
        lines=charge_lines(
            lines=[
                ChargeLine(unit_id=line.unit_id, amount=line.amount_minor, line_ref=line.line_ref)
                for line in lines
            ],
            fee=fee,
        ),
        occurred_at=_at(charge.created),
        order_ref=order.reference,
        memo=f"Order {order.reference}",
    )
    if order.discount_minor:
        _post_discounts(order, kind=TransactionKind.DISCOUNT, at=_at(charge.created))
    _settle_connected_units(order=order, lines=lines, charge=charge, fee=fee)
    Order.objects.filter(pk=order.pk, settled_at__isnull=True).update(
        settled_at=timezone.now(), charge_id=charge.id
    )
    return True


def _post_discounts(order: Order, *, kind: TransactionKind, at: datetime) -> None:
    """What the order's promotion code or waiver took off, against each line's unit
    (ledger.discount_lines); source `discount:<reference>`, so a re-run posts nothing new."""
    per_unit: dict[int, int] = defaultdict(int)
    for unit_id, discount in order.lines.values_list("unit_id", "discount_minor"):
        per_unit[unit_id] += discount
    if not any(per_unit.values()):
        return
    memo = (
        f"Fee waived on order {order.reference}: {order.waiver_reason}"
        if kind == TransactionKind.WAIVER
        else f"Promotion code on order {order.reference}"
    )
    ledger_post(
        tenant=order.tenant,
        kind=kind,
        source_ref=f"discount:{order.reference}",
        currency=order.currency,
        lines=discount_lines(discounts=per_unit),
        occurred_at=at,
        order_ref=order.reference,
        memo=memo[:300],
    )


def _settle_connected_units(*, order: Order, lines: list[OrderLine], charge: Any, fee: int) -> None:
    units = {line.unit_id: line.unit for line in lines}
    if len(units) == 1:
        (unit,) = units.values()
        if is_connected(unit) and charge.transfer:
            transfer_id = charge.transfer if isinstance(charge.transfer, str) else charge.transfer.id
            net = charge.amount - int(charge.application_fee_amount or 0)
            if net > 0:
                ledger_post(
                    tenant=order.tenant,
                    kind=TransactionKind.TRANSFER,
                    source_ref=transfer_id,
                    currency=order.currency,
                    lines=transfer_lines(unit_id=unit.pk, amount=net),
                    occurred_at=_at(charge.created),
                    order_ref=order.reference,
                    memo=f"Destination charge of order {order.reference}, less the application fee",
                )
        return
    gross: dict[int, int] = defaultdict(int)
    for line in lines:
        gross[line.unit_id] += line.amount_minor
    shares = fee_split(fee, gross)
    for unit_id, unit in sorted(units.items()):
        if not is_connected(unit):
            continue
        kept = sum(
            line.amount_minor
            for line in lines
            if line.unit_id == unit_id and line.status == LineStatus.CONFIRMED
        )
        amount = kept - shares.get(unit_id, 0)
        if amount <= 0:
            continue
        transfer = stripe_api.transfer_create(
            tenant=order.tenant,
            params={
                "amount": amount,
                "currency": order.currency.lower(),
                "destination": unit.stripe_account_id,
                "transfer_group": order.transfer_group,
                "source_transaction": charge.id,
                "metadata": {"order_reference": order.reference, "unit": unit.slug},
            },
            key=f"order:{order.pk}:transfer:{unit_id}",
        )
        ledger_post(
            tenant=order.tenant,
            kind=TransactionKind.TRANSFER,
            source_ref=transfer.id,
            currency=order.currency,
            lines=transfer_lines(unit_id=unit_id, amount=amount),
            occurred_at=_at(transfer.created),
            order_ref=order.reference,
            memo=f"{unit.name}'s share of order {order.reference}",
        )


def orders_unsettled(*, before: datetime) -> list[int]:
    return list(
        Order.objects.filter(
            status=OrderStatus.PAID, settled_at__isnull=True, paid_at__lte=before
        ).values_list("pk", flat=True)[:200]
    )

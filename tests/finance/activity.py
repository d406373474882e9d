"""A month of activity on both sides: the Stripe side through the local Stripe and the SDK, the
ledger side through the ledger's services, as payments records them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import stripe

from ledger.models import TransactionKind
from ledger.services import (
    ChargeLine,
    charge_lines,
    ledger_post,
    refund_lines,
    refund_reversal_lines,
    transfer_lines,
)
from stripe_local.client import ControlClient
from tenants.models import Tenant, Unit

DAY = 86_400


def at(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)


@dataclass
class Month:
    charges: dict[str, list[ChargeLine]] = field(default_factory=dict)
    refunds: list[str] = field(default_factory=list)
    failed_refund: str = ""
    transfer: str = ""
    payouts: list[str] = field(default_factory=list)


def charge(
    tenant: Tenant,
    sdk: stripe.StripeClient,
    lines: list[ChargeLine],
    *,
    post: bool = True,
    fee_delta: int = 0,
) -> str:
    amount = sum(line.amount for line in lines)
    intent = sdk.v1.payment_intents.create(
        params={"amount": amount, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True}
    )
    charge_id = str(intent.latest_charge)
    bt = sdk.v1.balance_transactions.list(params={"source": charge_id}).data[0]
    if post:
        ledger_post(
            tenant=tenant,
            kind=TransactionKind.CHARGE,
            source_ref=charge_id,
            currency="USD",
            lines=charge_lines(lines=lines, fee=bt.fee + fee_delta),
            occurred_at=at(bt.created),
        )
    return charge_id


def refund(
    tenant: Tenant, sdk: stripe.StripeClient, charge_id: str, unit: Unit, amount: int, *, post: bool = True
) -> str:
    made = sdk.v1.refunds.create(params={"charge": charge_id, "amount": amount})
    if post:
        ledger_post(
            tenant=tenant,
            kind=TransactionKind.REFUND,
            source_ref=made.id,
            currency="USD",
            lines=refund_lines(unit_id=unit.pk, amount=amount),
            occurred_at=at(made.created),
        )
    return made.id


def month_of_activity(
    tenant: Tenant, sdk: stripe.StripeClient, control: ControlClient, unit1: Unit, unit2: Unit, connect: Unit
) -> Month:
    """30 days: 2–3 payments a day across three units (some orders with lines of two units), a
    partial refund every 5 days, a refund that fails an hour later, a transfer to the Connect
    unit, weekly payouts, and a last payout once everything is available."""
    month = Month()
    for day in range(30):
        plans = [[ChargeLine(unit1.pk, 12_500 + day * 100, f"line:{day}a")]]
        plans.append(
            [ChargeLine(unit2.pk, 4_900, f"line:{day}b"), ChargeLine(unit1.pk, 2_000, f"line:{day}c")]
        )
        if day % 2:
            plans.append([ChargeLine(connect.pk, 18_000, f"line:{day}d")])
        for lines in plans:
            month.charges[charge(tenant, sdk, lines)] = lines
        if day % 5 == 4:
            first = next(iter(month.charges))
            charge_id = list(month.charges)[-2]
            refunded = month.charges[charge_id][0]
            month.refunds.append(refund(tenant, sdk, charge_id, Unit.objects.get(pk=refunded.unit_id), 1_000))
            assert first
        if day == 10:
            control.fail_next_refund(after_seconds=3_600)
            charge_id = list(month.charges)[-1]
            unit = Unit.objects.get(pk=month.charges[charge_id][0].unit_id)
            month.failed_refund = refund(tenant, sdk, charge_id, unit, 2_500)
            control.advance_clock(3_601)
            failed = sdk.v1.refunds.retrieve(month.failed_refund)
            assert failed.status == "failed"
            ledger_post(
                tenant=tenant,
                kind=TransactionKind.REFUND_REVERSAL,
                source_ref=failed.id,
                currency="USD",
                lines=refund_reversal_lines(unit_id=unit.pk, amount=2_500),
                occurred_at=at(control.now()),
            )
        if day == 12:
            made = sdk.v1.transfers.create(
                params={"amount": 30_000, "currency": "usd", "destination": connect.stripe_account_id}
            )
            month.transfer = made.id
            ledger_post(
                tenant=tenant,
                kind=TransactionKind.TRANSFER,
                source_ref=made.id,
                currency="USD",
                lines=transfer_lines(unit_id=connect.pk, amount=30_000),
                occurred_at=at(made.created),
            )
        if day % 7 == 6:
            month.payouts.append(control.trigger_payout("usd")["id"])
        control.advance_clock(DAY)
    control.advance_clock(3 * DAY)
    month.payouts.append(control.trigger_payout("usd")["id"])
    control.advance_clock(DAY + 1)
    return month

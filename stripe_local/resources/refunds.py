"""Refunds: partial or whole, several per charge up to what was paid.

A refund succeeds at once, unless the charge was paid with 4000 0000 0000 5126 or
`/_control/refund_failure` asked for it: then it succeeds, and later (on the server's clock)
fails with a `failure_reason`, giving the money back to the balance and emitting
`refund.updated`, `refund.failed` and `charge.refund.updated`. `reverse_transfer` and
`refund_application_fee` take back, pro rata, what a destination charge moved.
"""

from __future__ import annotations

from stripe_local.api import Call, Json, list_page, route
from stripe_local.errors import ApiError, invalid, no_such
from stripe_local.ids import new_id
from stripe_local.models import Charge, Refund
from stripe_local.money import format_amount, proportion
from stripe_local.params import merge_metadata, new_metadata
from stripe_local.resources.balance import add_transaction
from stripe_local.resources.charges import get_charge, render_charge
from stripe_local.resources.connect import refund_fee, reverse
from stripe_local.resources.intents import get_intent
from stripe_local.store import Store

REASONS = ("duplicate", "fraudulent", "requested_by_customer")


def refund_charge(
    store: Store,
    charge: Charge,
    *,
    amount: int | None,
    reason: str | None,
    metadata: dict[str, str],
    reverse_transfer: bool = False,
    refund_application_fee: bool = False,
) -> Refund:
    remaining = charge.amount - charge.amount_refunded
    if charge.status != "succeeded":
        raise invalid(
            f"Charge {charge.id} has not succeeded; only a paid charge can be refunded.", param="charge"
        )
    if remaining <= 0:
        raise invalid(f"Charge {charge.id} has already been refunded.", code="charge_already_refunded")
    amount = remaining if amount is None else amount
    if amount > remaining:
        raise invalid(
            f"Refund amount ({format_amount(amount, charge.currency)}) is greater than unrefunded amount on "
            f"charge ({format_amount(remaining, charge.currency)})",
            param="amount",
            code="amount_too_large",
        )
    if reverse_transfer and charge.transfer is None:
        raise invalid("This charge has no transfer to reverse.", param="reverse_transfer")
    if refund_application_fee and charge.application_fee is None:
        raise invalid("This charge has no application fee to refund.", param="refund_application_fee")
    refund = Refund(
        id=new_id("re_"),
        created=store.now(),
        amount=amount,
        currency=charge.currency,
        charge=charge.id,
        payment_intent=charge.payment_intent,
        reason=reason,
        metadata=metadata,
        status="succeeded",
        fails_with=charge.refund_failure,
    )
    store.refunds.add(refund)
    refund.balance_transaction = add_transaction(
        store,
        amount=-amount,
        currency=charge.currency,
        type="refund",
        reporting_category="refund",
        source=refund.id,
        description="REFUND FOR CHARGE",
    ).id
    charge.amount_refunded += amount
    whole = charge.amount_refunded >= charge.amount
    if reverse_transfer:
        _reverse_transfer(store, charge, refund, whole=whole)
    if refund_application_fee:
        _refund_fee(store, charge, refund, whole=whole)
    after_seconds = 0
    if store.refund_failures:
        forced = store.refund_failures[0]
        forced.times -= 1
        if forced.times <= 0:
            store.refund_failures.pop(0)
        refund.fails_with, after_seconds = forced.failure_reason, forced.after_seconds
    if refund.fails_with is not None:
        store.schedule(store.now() + after_seconds, "refund_fails", refund.id)
    store.emit("refund.created", render_refund(store, refund))
    store.emit("charge.refunded", render_charge(store, charge))
    return refund


def _reverse_transfer(store: Store, charge: Charge, refund: Refund, *, whole: bool) -> None:
    transfer = store.transfers.must(charge.transfer or "")
    left = transfer.amount - transfer.amount_reversed
    amount = left if whole else min(left, proportion(transfer.amount, refund.amount, charge.amount))
    if amount > 0:
        refund.transfer_reversal = reverse(
            store, transfer, amount=amount, metadata={}, source_refund=refund.id
        ).id


def _refund_fee(store: Store, charge: Charge, refund: Refund, *, whole: bool) -> None:
    fee = store.application_fees.must(charge.application_fee or "")
    left = fee.amount - fee.amount_refunded
    amount = left if whole else min(left, proportion(fee.amount, refund.amount, charge.amount))
    if amount > 0:
        refund.fee_refund = refund_fee(store, fee, amount=amount, metadata={}).id


def fail(store: Store, refund_id: str) -> None:
    """A refund that was to fail does: its money returns to the balance."""
    refund = store.refunds.get(refund_id)
    if refund is None or refund.status != "succeeded" or refund.fails_with is None:
        return
    charge = store.charges.must(refund.charge)
    refund.status = "failed"
    refund.failure_reason = refund.fails_with
    refund.failure_balance_transaction = add_transaction(
        store,
        amount=refund.amount,
        currency=refund.currency,
        type="refund_failure",
        reporting_category="refund_failure",
        source=refund.id,
        description="REFUND FAILURE",
    ).id
    charge.amount_refunded -= refund.amount
    rendered = render_refund(store, refund)
    previous = {"status": "succeeded", "failure_reason": None, "failure_balance_transaction": None}
    store.emit("refund.updated", rendered, previous)
    store.emit("refund.failed", rendered)
    store.emit("charge.refund.updated", rendered, previous)


def render_refund(store: Store, refund: Refund) -> Json:
    charge = store.charges.get(refund.charge)
    card = charge is not None and charge.card is not None
    return {
        "id": refund.id,
        "object": "refund",
        "amount": refund.amount,
        "balance_transaction": refund.balance_transaction,
        "charge": refund.charge,
        "created": refund.created,
        "currency": refund.currency,
        "customer": None,
        "customer_account": None,
        "destination_details": (
            {"card": {"type": "refund"}, "type": "card"} if card else {"sepa_debit": {}, "type": "sepa_debit"}
        ),
        "failure_balance_transaction": refund.failure_balance_transaction,
        "failure_reason": refund.failure_reason,
        "metadata": dict(refund.metadata),
        "payment_intent": refund.payment_intent,
        "payment_method": charge.payment_method if charge is not None else None,
        "reason": refund.reason,
        "receipt_number": None,
        "source_transfer_reversal": None,
        "status": refund.status,
        "transfer_reversal": refund.transfer_reversal,
    }


def get_refund(store: Store, refund_id: str) -> Refund:
    refund = store.refunds.get(refund_id)
    if refund is None:
        raise no_such("refund", refund_id)
    return refund


def create_refund(call: Call) -> Json:
    store, params = call.store, call.params
    charge_id = params.string("charge")
    intent_id = params.string("payment_intent")
    amount = params.integer("amount", minimum=1)
    reason = params.string("reason", choices=REASONS)
    metadata = new_metadata(params)
    reverse_transfer = params.boolean("reverse_transfer") or False
    refund_application_fee = params.boolean("refund_application_fee") or False
    params.string("instructions_email")
    params.finish()
    if charge_id is not None:
        charge = get_charge(store, charge_id, "charge")
        if intent_id is not None and charge.payment_intent != intent_id:
            raise invalid("The charge does not belong to that payment_intent.", param="payment_intent")
    elif intent_id is not None:
        intent = get_intent(store, intent_id, "payment_intent")
        if intent.status != "succeeded" or intent.latest_charge is None:
            raise invalid(
                f"This PaymentIntent ({intent.id}) does not have a successful charge to refund.",
                param="payment_intent",
                code="charge_not_refundable",
            )
        charge = get_charge(store, intent.latest_charge, "payment_intent")
    else:
        raise ApiError(
            400, "One of the following params should be provided for this request: payment_intent or charge."
        )
    refund = refund_charge(
        store,
        charge,
        amount=amount,
        reason=reason,
        metadata=metadata,
        reverse_transfer=reverse_transfer,
        refund_application_fee=refund_application_fee,
    )
    return render_refund(store, refund)


def retrieve_refund(call: Call) -> Json:
    call.params.finish()
    return render_refund(call.store, get_refund(call.store, call.ids["id"]))


def update_refund(call: Call) -> Json:
    refund = get_refund(call.store, call.ids["id"])
    metadata = call.params.metadata()
    call.params.finish()
    if metadata is not None:
        refund.metadata = merge_metadata(refund.metadata, metadata)
    return render_refund(call.store, refund)


def cancel_refund(call: Call) -> Json:
    refund = get_refund(call.store, call.ids["id"])
    call.params.finish()
    raise invalid(f"Refund {refund.id} cannot be canceled: only refunds with status requires_action can be.")


def list_refunds(call: Call) -> Json:
    equal = {"charge": call.params.string("charge"), "payment_intent": call.params.string("payment_intent")}
    return list_page(call, call.store.refunds, render_refund, url="/v1/refunds", equal=equal)


def list_charge_refunds(call: Call) -> Json:
    charge = get_charge(call.store, call.ids["id"])
    return list_page(
        call,
        call.store.refunds,
        render_refund,
        url=f"/v1/charges/{charge.id}/refunds",
        equal={"charge": charge.id},
        created_param=False,
    )


def retrieve_charge_refund(call: Call) -> Json:
    call.params.finish()
    refund = get_refund(call.store, call.ids["id"])
    if refund.charge != call.ids["charge"]:
        raise no_such("refund", refund.id)
    return render_refund(call.store, refund)


ROUTES = [
    route("GET", "/v1/refunds", list_refunds),
    route("POST", "/v1/refunds", create_refund),
    route("GET", "/v1/refunds/{id}", retrieve_refund),
    route("POST", "/v1/refunds/{id}", update_refund),
    route("POST", "/v1/refunds/{id}/cancel", cancel_refund),
    route("GET", "/v1/charges/{id}/refunds", list_charge_refunds),
    route("GET", "/v1/charges/{charge}/refunds/{id}", retrieve_charge_refund),
]

"""Stripe Connect money movement: transfers to connected accounts, their reversals, and
application fees.

A destination charge (`transfer_data[destination]`) transfers the whole amount to the
connected account (or `transfer_data[amount]` of it) when it succeeds; with
`application_fee_amount` the fee comes back to the platform as an application fee. Connected
accounts are not created through the API here: any well-formed `acct_…` id is one, known from
its first transfer (see `/_control/accounts` for what each received).
"""

from __future__ import annotations

import re

from stripe_local.api import Call, Json, list_object, list_page, route
from stripe_local.errors import ApiError, invalid, no_such
from stripe_local.ids import new_id
from stripe_local.models import ApplicationFee, Charge, FeeRefund, Transfer, TransferReversal
from stripe_local.params import merge_metadata, new_metadata
from stripe_local.resources.balance import add_transaction
from stripe_local.store import Store, Totals

_ACCOUNT = re.compile(r"^acct_[A-Za-z0-9]{1,64}$")


def check_destination(account_id: str, param: str) -> str:
    if not _ACCOUNT.match(account_id):
        raise ApiError(400, f"No such destination: '{account_id}'", param=param, code="resource_missing")
    return account_id


# Transfers --------------------------------------------------------------------------------------


def make_transfer(
    store: Store,
    *,
    amount: int,
    currency: str,
    destination: str,
    metadata: dict[str, str],
    description: str | None = None,
    source_transaction: str | None = None,
    transfer_group: str | None = None,
    available_on: int | None = None,
) -> Transfer:
    transfer = Transfer(
        id=new_id("tr_"),
        created=store.now(),
        amount=amount,
        currency=currency,
        destination=destination,
        destination_payment=new_id("py_"),
        metadata=metadata,
        description=description,
        source_transaction=source_transaction,
        transfer_group=transfer_group,
    )
    store.transfers.add(transfer)
    transfer.balance_transaction = add_transaction(
        store,
        amount=-amount,
        currency=currency,
        type="transfer",
        reporting_category="transfer",
        source=transfer.id,
        description=description,
        available_on=available_on,
    ).id
    account = store.account(destination)
    account.balance[currency] += amount
    account.transfers += 1
    store.emit("transfer.created", render_transfer(store, transfer))
    return transfer


def reverse(
    store: Store,
    transfer: Transfer,
    *,
    amount: int,
    metadata: dict[str, str],
    source_refund: str | None = None,
) -> TransferReversal:
    reversal = TransferReversal(
        id=new_id("trr_"),
        created=store.now(),
        amount=amount,
        currency=transfer.currency,
        transfer=transfer.id,
        metadata=metadata,
        source_refund=source_refund,
        destination_payment_refund=new_id("pyr_"),
    )
    store.transfer_reversals.add(reversal)
    reversal.balance_transaction = add_transaction(
        store,
        amount=amount,
        currency=transfer.currency,
        type="transfer_refund",
        reporting_category="transfer_reversal",
        source=reversal.id,
    ).id
    before = render_transfer(store, transfer)
    transfer.amount_reversed += amount
    account = store.account(transfer.destination)
    account.balance[transfer.currency] -= amount
    account.reversals += 1
    after = render_transfer(store, transfer)
    store.emit("transfer.reversed", after, {"amount_reversed": before["amount_reversed"]})
    return reversal


def render_transfer(store: Store, transfer: Transfer) -> Json:
    reversals, has_more = store.transfer_reversals.page(equal={"transfer": transfer.id}, limit=10)
    return {
        "id": transfer.id,
        "object": "transfer",
        "amount": transfer.amount,
        "amount_reversed": transfer.amount_reversed,
        "balance_transaction": transfer.balance_transaction,
        "created": transfer.created,
        "currency": transfer.currency,
        "description": transfer.description,
        "destination": transfer.destination,
        "destination_payment": transfer.destination_payment,
        "livemode": False,
        "metadata": dict(transfer.metadata),
        "reversals": list_object(
            f"/v1/transfers/{transfer.id}/reversals",
            [render_reversal(store, reversal) for reversal in reversals],
            has_more,
        ),
        "reversed": transfer.amount_reversed >= transfer.amount,
        "source_transaction": transfer.source_transaction,
        "source_type": "card",
        "transfer_group": transfer.transfer_group,
    }


def render_reversal(store: Store, reversal: TransferReversal) -> Json:
    return {
        "id": reversal.id,
        "object": "transfer_reversal",
        "amount": reversal.amount,
        "balance_transaction": reversal.balance_transaction,
        "created": reversal.created,
        "currency": reversal.currency,
        "destination_payment_refund": reversal.destination_payment_refund,
        "metadata": dict(reversal.metadata),
        "source_refund": reversal.source_refund,
        "transfer": reversal.transfer,
    }


def get_transfer(store: Store, transfer_id: str, param: str = "id") -> Transfer:
    transfer = store.transfers.get(transfer_id)
    if transfer is None:
        raise no_such("transfer", transfer_id, param=param)
    return transfer


def create_transfer(call: Call) -> Json:
    store, params = call.store, call.params
    amount = params.need_integer("amount", minimum=1)
    currency = params.need_string("currency").lower()
    destination = check_destination(params.need_string("destination"), "destination")
    metadata = new_metadata(params)
    description = params.string("description")
    source_transaction = params.string("source_transaction")
    transfer_group = params.string("transfer_group")
    params.finish()
    available_on = None
    if source_transaction is not None:
        charge = store.charges.get(source_transaction)
        if charge is None or not charge.paid:
            raise no_such("charge", source_transaction, param="source_transaction")
        if charge.currency != currency:
            raise invalid("The currency of source_transaction's balance transaction must match the transfer.")
        already = sum(transfer.amount for transfer in store.transfers.where("source_transaction", charge.id))
        if amount > charge.amount - already:
            raise invalid(
                f"Transfer amount ({amount}) exceeds what remains of the source transaction "
                f"({charge.amount - already}).",
                param="amount",
            )
        available_on = _charge_available_on(store, charge)
    elif amount > store.totals.get(currency, Totals()).available:
        raise ApiError(
            400,
            "You have insufficient available funds in your Stripe account. Try adding funds directly to your "
            "available balance by creating Charges using the 4000000000000077 test card.",
            code="balance_insufficient",
        )
    transfer = make_transfer(
        store,
        amount=amount,
        currency=currency,
        destination=destination,
        metadata=metadata,
        description=description,
        source_transaction=source_transaction,
        transfer_group=transfer_group,
        available_on=available_on,
    )
    return render_transfer(store, transfer)


def _charge_available_on(store: Store, charge: Charge) -> int | None:
    if charge.balance_transaction is None:
        return None
    transaction = store.balance_transactions.get(charge.balance_transaction)
    return None if transaction is None else transaction.available_on


def retrieve_transfer(call: Call) -> Json:
    call.params.finish()
    return render_transfer(call.store, get_transfer(call.store, call.ids["id"]))


def update_transfer(call: Call) -> Json:
    transfer = get_transfer(call.store, call.ids["id"])
    metadata = call.params.metadata()
    description = call.params.string("description")
    call.params.finish()
    if metadata is not None:
        transfer.metadata = merge_metadata(transfer.metadata, metadata)
    if description is not None:
        transfer.description = description
    return render_transfer(call.store, transfer)


def list_transfers(call: Call) -> Json:
    equal = {
        "destination": call.params.string("destination"),
        "transfer_group": call.params.string("transfer_group"),
    }
    return list_page(call, call.store.transfers, render_transfer, url="/v1/transfers", equal=equal)


def create_reversal(call: Call) -> Json:
    store, params = call.store, call.params
    transfer = get_transfer(store, call.ids["id"])
    remaining = transfer.amount - transfer.amount_reversed
    amount = params.integer("amount", minimum=1)
    metadata = new_metadata(params)
    params.string("description")
    params.boolean("refund_application_fee")
    params.finish()
    if remaining <= 0:
        raise invalid(
            f"Transfer {transfer.id} has already been fully reversed.", code="transfer_already_reversed"
        )
    amount = remaining if amount is None else amount
    if amount > remaining:
        raise invalid(
            f"Reversal amount ({amount}) is greater than the unreversed amount of the transfer "
            f"({remaining}).",
            param="amount",
            code="amount_too_large",
        )
    return render_reversal(store, reverse(store, transfer, amount=amount, metadata=metadata))


def retrieve_reversal(call: Call) -> Json:
    call.params.finish()
    transfer = get_transfer(call.store, call.ids["transfer"])
    reversal = call.store.transfer_reversals.get(call.ids["id"])
    if reversal is None or reversal.transfer != transfer.id:
        raise no_such("transfer_reversal", call.ids["id"])
    return render_reversal(call.store, reversal)


def list_reversals(call: Call) -> Json:
    transfer = get_transfer(call.store, call.ids["id"])
    return list_page(
        call,
        call.store.transfer_reversals,
        render_reversal,
        url=f"/v1/transfers/{transfer.id}/reversals",
        equal={"transfer": transfer.id},
        created_param=False,
    )


# Application fees -------------------------------------------------------------------------------


def collect_fee(
    store: Store, charge: Charge, *, amount: int, account: str, available_on: int | None
) -> ApplicationFee:
    fee = ApplicationFee(
        id=new_id("fee_"),
        created=store.now(),
        amount=amount,
        currency=charge.currency,
        account=account,
        charge=charge.id,
    )
    store.application_fees.add(fee)
    fee.balance_transaction = add_transaction(
        store,
        amount=amount,
        currency=charge.currency,
        type="application_fee",
        reporting_category="platform_earning",
        source=fee.id,
        available_on=available_on,
    ).id
    store.account(account).balance[charge.currency] -= amount
    store.emit("application_fee.created", render_fee(store, fee))
    return fee


def refund_fee(store: Store, fee: ApplicationFee, *, amount: int, metadata: dict[str, str]) -> FeeRefund:
    refund = FeeRefund(
        id=new_id("fr_"),
        created=store.now(),
        amount=amount,
        currency=fee.currency,
        fee=fee.id,
        metadata=metadata,
    )
    store.fee_refunds.add(refund)
    refund.balance_transaction = add_transaction(
        store,
        amount=-amount,
        currency=fee.currency,
        type="application_fee_refund",
        reporting_category="platform_earning_refund",
        source=refund.id,
    ).id
    fee.amount_refunded += amount
    store.account(fee.account).balance[fee.currency] += amount
    store.emit("application_fee.refunded", render_fee(store, fee))
    return refund


def render_fee(store: Store, fee: ApplicationFee) -> Json:
    refunds, has_more = store.fee_refunds.page(equal={"fee": fee.id}, limit=10)
    return {
        "id": fee.id,
        "object": "application_fee",
        "account": fee.account,
        "amount": fee.amount,
        "amount_refunded": fee.amount_refunded,
        "application": store.application_id,
        "balance_transaction": fee.balance_transaction,
        "charge": fee.charge,
        "created": fee.created,
        "currency": fee.currency,
        "fee_source": {"charge": fee.charge, "type": "charge"},
        "livemode": False,
        "originating_transaction": None,
        "refunded": fee.amount_refunded >= fee.amount,
        "refunds": list_object(
            f"/v1/application_fees/{fee.id}/refunds", [render_fee_refund(store, r) for r in refunds], has_more
        ),
    }


def render_fee_refund(store: Store, refund: FeeRefund) -> Json:
    return {
        "id": refund.id,
        "object": "fee_refund",
        "amount": refund.amount,
        "balance_transaction": refund.balance_transaction,
        "created": refund.created,
        "currency": refund.currency,
        "fee": refund.fee,
        "metadata": dict(refund.metadata),
    }


def get_fee(store: Store, fee_id: str) -> ApplicationFee:
    fee = store.application_fees.get(fee_id)
    if fee is None:
        raise no_such("application_fee", fee_id)
    return fee


def retrieve_fee(call: Call) -> Json:
    call.params.finish()
    return render_fee(call.store, get_fee(call.store, call.ids["id"]))


def list_fees(call: Call) -> Json:
    charge = call.params.string("charge")
    return list_page(
        call, call.store.application_fees, render_fee, url="/v1/application_fees", equal={"charge": charge}
    )


def create_fee_refund(call: Call) -> Json:
    fee = get_fee(call.store, call.ids["id"])
    amount = call.params.integer("amount", minimum=1)
    metadata = new_metadata(call.params)
    call.params.finish()
    remaining = fee.amount - fee.amount_refunded
    amount = remaining if amount is None else amount
    if remaining <= 0 or amount > remaining:
        raise invalid(
            f"Refund amount ({amount}) is greater than the unrefunded application fee ({remaining}).",
            param="amount",
            code="amount_too_large",
        )
    return render_fee_refund(call.store, refund_fee(call.store, fee, amount=amount, metadata=metadata))


def retrieve_fee_refund(call: Call) -> Json:
    call.params.finish()
    fee = get_fee(call.store, call.ids["fee"])
    refund = call.store.fee_refunds.get(call.ids["id"])
    if refund is None or refund.fee != fee.id:
        raise no_such("fee_refund", call.ids["id"])
    return render_fee_refund(call.store, refund)


def list_fee_refunds(call: Call) -> Json:
    fee = get_fee(call.store, call.ids["id"])
    return list_page(
        call,
        call.store.fee_refunds,
        render_fee_refund,
        url=f"/v1/application_fees/{fee.id}/refunds",
        equal={"fee": fee.id},
        created_param=False,
    )


ROUTES = [
    route("GET", "/v1/transfers", list_transfers),
    route("POST", "/v1/transfers", create_transfer),
    route("GET", "/v1/transfers/{id}", retrieve_transfer),
    route("POST", "/v1/transfers/{id}", update_transfer),
    route("GET", "/v1/transfers/{id}/reversals", list_reversals),
    route("POST", "/v1/transfers/{id}/reversals", create_reversal),
    route("GET", "/v1/transfers/{transfer}/reversals/{id}", retrieve_reversal),
    route("GET", "/v1/application_fees", list_fees),
    route("GET", "/v1/application_fees/{id}", retrieve_fee),
    route("GET", "/v1/application_fees/{id}/refunds", list_fee_refunds),
    route("POST", "/v1/application_fees/{id}/refunds", create_fee_refund),
    route("GET", "/v1/application_fees/{fee}/refunds/{id}", retrieve_fee_refund),
]

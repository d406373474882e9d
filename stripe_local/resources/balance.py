"""Balance transactions, the balance, and payouts.

Every movement of money is a balance transaction. A charge's is pending for two days of the
server's clock (`available_on = created + 2 days`), then available; refunds, transfers and
payouts take effect at once. An automatic payout (`/_control/payouts`) sweeps every available,
not yet paid-out transaction of its currency; `GET /v1/balance_transactions?payout=po_…` lists
them (and the payout's own transaction), as Stripe's does for automatic payouts.
"""

from __future__ import annotations

from typing import Any

from stripe_local.api import Call, Json, list_page, route
from stripe_local.errors import ApiError, invalid, no_such
from stripe_local.ids import new_id
from stripe_local.models import BalanceTransaction, Payout
from stripe_local.params import merge_metadata, new_metadata
from stripe_local.store import Store, Totals

DAY = 86_400
AVAILABLE_AFTER = 2 * DAY
PAYOUT_ARRIVES_AFTER = DAY

PAYOUT_FAILURES = {
    "account_closed": "The bank account has been closed.",
    "account_frozen": "The bank account has been frozen.",
    "no_account": "The bank account details on file are probably incorrect: no such account was found.",
    "could_not_process": "The bank could not process this payout.",
}


def add_transaction(
    store: Store,
    *,
    amount: int,
    currency: str,
    type: str,
    reporting_category: str,
    source: str | None,
    description: str | None = None,
    fee: int = 0,
    available_on: int | None = None,
    sweepable: bool = True,
) -> BalanceTransaction:
    now = store.now()
    available_on = now if available_on is None else available_on
    transaction = BalanceTransaction(
        id=new_id("txn_"),
        created=now,
        available_on=available_on,
        amount=amount,
        fee=fee,
        currency=currency,
        type=type,
        reporting_category=reporting_category,
        source=source,
        description=description,
        status="available" if available_on <= now else "pending",
    )
    store.balance_transactions.add(transaction)
    totals = store.totals.setdefault(currency, Totals())
    if transaction.status == "pending":
        totals.pending += transaction.net
        store.schedule(available_on, "balance_available", transaction.id)
    else:
        totals.available += transaction.net
    if sweepable:
        store.unswept.append(transaction.id)
    return transaction


def make_available(store: Store, transaction_id: str) -> None:
    transaction = store.balance_transactions.get(transaction_id)
    if transaction is None or transaction.status != "pending":
        return
    transaction.status = "available"
    totals = store.totals[transaction.currency]
    totals.pending -= transaction.net
    totals.available += transaction.net


def fee_details(transaction: BalanceTransaction) -> list[Json]:
    if not transaction.fee:
        return []
    return [
        {
            "amount": transaction.fee,
            "application": None,
            "currency": transaction.currency,
            "description": "Stripe processing fees",
            "type": "stripe_fee",
        }
    ]


def render_transaction(store: Store, transaction: BalanceTransaction) -> Json:
    return {
        "id": transaction.id,
        "object": "balance_transaction",
        "amount": transaction.amount,
        "available_on": transaction.available_on,
        "balance_type": "payments",
        "created": transaction.created,
        "currency": transaction.currency,
        "description": transaction.description,
        "exchange_rate": None,
        "fee": transaction.fee,
        "fee_details": fee_details(transaction),
        "net": transaction.net,
        "reporting_category": transaction.reporting_category,
        "source": transaction.source,
        "status": transaction.status,
        "type": transaction.type,
    }


def retrieve_transaction(call: Call) -> Json:
    call.params.finish()
    transaction = store_get_transaction(call.store, call.ids["id"])
    return render_transaction(call.store, transaction)


def store_get_transaction(store: Store, transaction_id: str) -> BalanceTransaction:
    transaction = store.balance_transactions.get(transaction_id)
    if transaction is None:
        raise no_such("balance_transaction", transaction_id)
    return transaction


def list_transactions(call: Call) -> Json:
    params = call.params
    payout_id = params.string("payout")
    if payout_id is not None:
        payout = call.store.payouts.get(payout_id)
        if payout is None:
            raise no_such("payout", payout_id, param="payout")
        if not payout.automatic:
            raise invalid(
                "Balance transaction history can only be filtered on automatic payouts, not manual payouts.",
                param="payout",
            )
    currency = params.string("currency")
    equal = {
        "payout": payout_id,
        "type": params.string("type"),
        "source": params.string("source"),
        "currency": currency.lower() if currency else None,
    }
    return list_page(
        call, call.store.balance_transactions, render_transaction, url="/v1/balance_transactions", equal=equal
    )


# Balance ----------------------------------------------------------------------------------------


def retrieve_balance(call: Call) -> Json:
    call.params.finish()
    totals = call.store.totals or {"usd": Totals()}
    return {
        "object": "balance",
        "available": [
            {"amount": t.available, "currency": c, "source_types": {"card": t.available}}
            for c, t in totals.items()
        ],
        "connect_reserved": [{"amount": 0, "currency": c} for c in totals],
        "livemode": False,
        "pending": [
            {"amount": t.pending, "currency": c, "source_types": {"card": t.pending}}
            for c, t in totals.items()
        ],
    }


# Payouts ----------------------------------------------------------------------------------------


def sweep(store: Store, currency: str, *, fails_with: str | None = None) -> Payout:
    """An automatic payout of everything available in `currency` not yet paid out."""
    now = store.now()
    chosen: list[BalanceTransaction] = []
    kept: list[str] = []
    for transaction_id in store.unswept:
        transaction = store.balance_transactions.must(transaction_id)
        if transaction.currency == currency and transaction.status == "available":
            chosen.append(transaction)
        else:
            kept.append(transaction_id)
    amount = sum(transaction.net for transaction in chosen)
    if amount <= 0:
        raise ApiError(
            400,
            f"There is no positive available {currency} balance to pay out.",
            code="balance_insufficient",
        )
    store.unswept = kept
    payout = Payout(
        id=new_id("po_"),
        created=now,
        amount=amount,
        currency=currency,
        arrival_date=now + PAYOUT_ARRIVES_AFTER,
        automatic=True,
        status="in_transit",
        reconciliation_status="in_progress",
        destination=store.bank_account,
        metadata={},
        description="STRIPE PAYOUT",
        statement_descriptor=None,
        fails_with=fails_with,
    )
    store.payouts.add(payout)
    own = add_transaction(
        store,
        amount=-amount,
        currency=currency,
        type="payout",
        reporting_category="payout",
        source=payout.id,
        description="STRIPE PAYOUT",
        sweepable=False,
    )
    payout.balance_transaction = own.id
    for transaction in [*chosen, own]:
        transaction.payout = payout.id
        store.balance_transactions.reindex(transaction, "payout", None)
    store.schedule(payout.arrival_date, "payout_arrival", payout.id)
    store.emit("payout.created", render_payout(store, payout))
    return payout


def arrive(store: Store, payout_id: str) -> None:
    payout = store.payouts.get(payout_id)
    if payout is None or payout.status != "in_transit":
        return
    before = render_payout(store, payout)
    if payout.fails_with is not None:
        _fail(store, payout, payout.fails_with)
        after = render_payout(store, payout)
        store.emit("payout.failed", after)
        store.emit("payout.updated", after, _changed(before, after))
        return
    _set_status(store, payout, "paid")
    after = render_payout(store, payout)
    store.emit("payout.paid", after)
    store.emit("payout.updated", after, _changed(before, after))
    if payout.automatic:
        payout.reconciliation_status = "completed"
        after = render_payout(store, payout)
        store.emit("payout.reconciliation_completed", after)


def _set_status(store: Store, payout: Payout, status: str) -> None:
    old = payout.status
    payout.status = status
    store.payouts.reindex(payout, "status", old)


def _fail(store: Store, payout: Payout, code: str) -> None:
    _set_status(store, payout, "failed")
    payout.failure_code = code
    payout.failure_message = PAYOUT_FAILURES.get(code, PAYOUT_FAILURES["could_not_process"])
    payout.failure_balance_transaction = add_transaction(
        store,
        amount=payout.amount,
        currency=payout.currency,
        type="payout_failure",
        reporting_category="payout_reversal",
        source=payout.id,
        description="STRIPE PAYOUT FAILURE",
    ).id


def _changed(before: Json, after: Json) -> dict[str, Any]:
    return {key: value for key, value in before.items() if after.get(key) != value}


def render_payout(store: Store, payout: Payout) -> Json:
    return {
        "id": payout.id,
        "object": "payout",
        "amount": payout.amount,
        "application_fee": None,
        "application_fee_amount": None,
        "arrival_date": payout.arrival_date,
        "automatic": payout.automatic,
        "balance_transaction": payout.balance_transaction,
        "created": payout.created,
        "currency": payout.currency,
        "description": payout.description,
        "destination": payout.destination,
        "failure_balance_transaction": payout.failure_balance_transaction,
        "failure_code": payout.failure_code,
        "failure_message": payout.failure_message,
        "livemode": False,
        "metadata": dict(payout.metadata),
        "method": "standard",
        "original_payout": None,
        "payout_method": None,
        "reconciliation_status": payout.reconciliation_status,
        "reversed_by": None,
        "source_type": "card",
        "statement_descriptor": payout.statement_descriptor,
        "status": payout.status,
        "trace_id": {"status": "pending" if payout.status == "in_transit" else "unsupported", "value": None},
        "type": "bank_account",
    }


def get_payout(store: Store, payout_id: str) -> Payout:
    payout = store.payouts.get(payout_id)
    if payout is None:
        raise no_such("payout", payout_id)
    return payout


def create_payout(call: Call) -> Json:
    """A manual payout of part of the available balance (`automatic: false`)."""
    store, params = call.store, call.params
    amount = params.need_integer("amount", minimum=1)
    currency = params.need_string("currency").lower()
    description = params.string("description")
    metadata = new_metadata(params)
    statement_descriptor = params.string("statement_descriptor", max_length=22)
    params.string("method", choices=("standard",))
    params.finish()
    available = store.totals.get(currency, Totals()).available
    if amount > available:
        raise ApiError(
            400,
            f"You have insufficient funds in your Stripe account for this payout: "
            f"{available} {currency} available.",
            param="amount",
            code="balance_insufficient",
        )
    now = store.now()
    payout = Payout(
        id=new_id("po_"),
        created=now,
        amount=amount,
        currency=currency,
        arrival_date=now + PAYOUT_ARRIVES_AFTER,
        automatic=False,
        status="in_transit",
        reconciliation_status="not_applicable",
        destination=store.bank_account,
        metadata=metadata,
        description=description,
        statement_descriptor=statement_descriptor,
    )
    store.payouts.add(payout)
    payout.balance_transaction = add_transaction(
        store,
        amount=-amount,
        currency=currency,
        type="payout",
        reporting_category="payout",
        source=payout.id,
        description=description,
    ).id
    store.schedule(payout.arrival_date, "payout_arrival", payout.id)
    rendered = render_payout(store, payout)
    store.emit("payout.created", rendered)
    return rendered


def retrieve_payout(call: Call) -> Json:
    call.params.finish()
    return render_payout(call.store, get_payout(call.store, call.ids["id"]))


def update_payout(call: Call) -> Json:
    payout = get_payout(call.store, call.ids["id"])
    metadata = call.params.metadata()
    call.params.finish()
    if metadata is not None:
        payout.metadata = merge_metadata(payout.metadata, metadata)
    return render_payout(call.store, payout)


def list_payouts(call: Call) -> Json:
    status = call.params.string("status")
    return list_page(call, call.store.payouts, render_payout, url="/v1/payouts", equal={"status": status})


ROUTES = [
    route("GET", "/v1/balance", retrieve_balance),
    route("GET", "/v1/balance_transactions", list_transactions),
    route("GET", "/v1/balance_transactions/{id}", retrieve_transaction),
    route("GET", "/v1/payouts", list_payouts),
    route("POST", "/v1/payouts", create_payout),
    route("GET", "/v1/payouts/{id}", retrieve_payout),
    route("POST", "/v1/payouts/{id}", update_payout),
]

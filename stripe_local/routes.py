"""Every API route, `expand`, and the clock's scheduled work (`tick`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from stripe_local.api import Json, Route
from stripe_local.errors import invalid
from stripe_local.resources import (
    balance,
    charges,
    checkout,
    connect,
    credit_notes,
    customers,
    events,
    intents,
    invoices,
    payments,
    refunds,
)
from stripe_local.store import Store

ROUTES: list[Route] = [
    *checkout.ROUTES,
    *payments.ROUTES,
    *refunds.ROUTES,
    *connect.ROUTES,
    *balance.ROUTES,
    *events.ROUTES,
    *customers.ROUTES,
    *invoices.ROUTES,
    *credit_notes.ROUTES,
]

_SCHEDULED: dict[str, Callable[[Store, str], None]] = {
    "balance_available": balance.make_available,
    "payout_arrival": balance.arrive,
    "session_expires": checkout.expire_due,
    "refund_fails": refunds.fail,
    "bank_debit_settles": checkout.settle_bank_debit,
    "invoice_finalizes": invoices.finalize_due,
    "invoice_overdue": invoices.overdue_due,
}


def tick(store: Store) -> None:
    """Do whatever has come due on the server's clock (call with the store's lock held)."""
    while due := store.due():
        for kind, object_id in due:
            _SCHEDULED[kind](store, object_id)


def find(method: str, path: str) -> tuple[Route, dict[str, str]] | None:
    for candidate in ROUTES:
        if candidate.method == method:
            match = candidate.pattern.match(path)
            if match:
                return candidate, match.groupdict()
    return None


def _lookup(store: Store, object_id: str) -> Json | None:
    """Render any object the server keeps, by its id's prefix."""
    kinds: list[tuple[str, Callable[[], Json | None]]] = [
        ("cs_", lambda: _render(store.sessions.get(object_id), checkout.render_session, store)),
        ("pi_", lambda: _render(store.payment_intents.get(object_id), intents.render_intent, store)),
        ("ch_", lambda: _render(store.charges.get(object_id), charges.render_charge, store)),
        ("re_", lambda: _render(store.refunds.get(object_id), refunds.render_refund, store)),
        (
            "txn_",
            lambda: _render(store.balance_transactions.get(object_id), balance.render_transaction, store),
        ),
        ("po_", lambda: _render(store.payouts.get(object_id), balance.render_payout, store)),
        ("trr_", lambda: _render(store.transfer_reversals.get(object_id), connect.render_reversal, store)),
        ("tr_", lambda: _render(store.transfers.get(object_id), connect.render_transfer, store)),
        ("fee_", lambda: _render(store.application_fees.get(object_id), connect.render_fee, store)),
        ("fr_", lambda: _render(store.fee_refunds.get(object_id), connect.render_fee_refund, store)),
        ("evt_", lambda: _render(store.events.get(object_id), events.render_event, store)),
        ("cus_", lambda: _render(store.customers.get(object_id), customers.render_customer, store)),
        ("ii_", lambda: _render(store.invoice_items.get(object_id), invoices.render_item, store)),
        ("inpay_", lambda: _render(store.invoice_payments.get(object_id), invoices.render_payment, store)),
        ("in_", lambda: _render(store.invoices.get(object_id), invoices.render_invoice, store)),
        ("cn_", lambda: _render(store.credit_notes.get(object_id), credit_notes.render_credit_note, store)),
    ]
    for prefix, render in kinds:
        if object_id.startswith(prefix):
            return render()
    return None


def _render(item: Any, render: Callable[[Store, Any], Json], store: Store) -> Json | None:
    return None if item is None else render(store, item)


def expand(store: Store, body: Json, paths: list[str]) -> Json:
    """Stripe's `expand[]`: replace ids along each dotted path by the objects (up to 4 levels;
    `data.` walks a list's items, and a plain array's items are walked too: `refunds.refund`)."""
    for path in paths:
        parts = path.split(".")
        if len(parts) > 4:
            raise invalid(f"You cannot expand more than 4 levels of a property: {path}", param="expand")
        _expand(store, body, parts, path)
    return body


def _expand(store: Store, node: Any, parts: list[str], path: str) -> None:
    if not parts or not isinstance(node, dict):
        return
    head, rest = parts[0], parts[1:]
    if node.get("object") == "list" and head == "data":
        for item in node["data"]:
            _expand(store, item, rest, path)
        return
    if head not in node:
        raise invalid(f"This property cannot be expanded ({path}).", param="expand")
    value = node[head]
    if isinstance(value, list) and rest:  # a plain array of hashes, as a credit note's `refunds`
        for item in value:
            _expand(store, item, rest, path)
        return
    if isinstance(value, str):
        found = _lookup(store, value)
        if found is None:
            raise invalid(f"This property cannot be expanded ({path}).", param="expand")
        node[head] = value = found
    elif value is not None and not (isinstance(value, dict) and "object" in value):
        raise invalid(f"This property cannot be expanded ({path}).", param="expand")
    _expand(store, value, rest, path)

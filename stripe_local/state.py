"""Keeping the server's state in a JSON file across restarts (`--state FILE`, for `make run`).

Written atomically (a temporary file, then a rename) by the ticker when something changed and
on stopping; read when the server starts.
"""

from __future__ import annotations

import dataclasses
import json
import os
import types
import typing
from collections import Counter
from pathlib import Path
from typing import Any, TypeVar

from stripe_local import models
from stripe_local.collection import Collection
from stripe_local.store import Account, ForcedDecline, IdempotentAnswer, RefundFailure, Store, Totals

VERSION = 1
_COLLECTIONS: dict[str, type[Any]] = {
    "sessions": models.CheckoutSession,
    "payment_intents": models.PaymentIntent,
    "charges": models.Charge,
    "refunds": models.Refund,
    "balance_transactions": models.BalanceTransaction,
    "payouts": models.Payout,
    "transfers": models.Transfer,
    "transfer_reversals": models.TransferReversal,
    "application_fees": models.ApplicationFee,
    "fee_refunds": models.FeeRefund,
    "events": models.Event,
    "customers": models.Customer,
    "invoice_items": models.InvoiceItem,
    "invoices": models.Invoice,
    "invoice_payments": models.InvoicePayment,
    "credit_notes": models.CreditNote,
}

D = TypeVar("D")


def _build(cls: type[D], data: dict[str, Any]) -> D:
    """A dataclass from `asdict` output, rebuilding nested dataclasses from the type hints."""
    hints = typing.get_type_hints(cls)
    values = {}
    for field in dataclasses.fields(cls):  # type: ignore[arg-type]
        if field.name in data:
            values[field.name] = _value(hints[field.name], data[field.name])
    return cls(**values)


def _value(hint: Any, value: Any) -> Any:
    if value is None:
        return None
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        return _value(options[0], value) if len(options) == 1 else value
    if origin is list:
        (item,) = typing.get_args(hint)
        return [_value(item, element) for element in value]
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return _build(hint, value)
    return value


def snapshot(store: Store) -> dict[str, Any]:
    with store.lock:
        return {
            "version": VERSION,
            "clock": {"offset": store.clock.offset, "now": store.now()},
            "collections": {
                name: [dataclasses.asdict(item) for item in getattr(store, name)] for name in _COLLECTIONS
            },
            "accounts": [
                {
                    "id": a.id,
                    "balance": dict(a.balance),
                    "transfers": a.transfers,
                    "reversals": a.reversals,
                }
                for a in store.accounts.values()
            ],
            "totals": {currency: dataclasses.asdict(t) for currency, t in store.totals.items()},
            "unswept": list(store.unswept),
            "scheduled": sorted(store.scheduled),
            "declines": [dataclasses.asdict(d) for d in store.declines],
            "refund_failures": [dataclasses.asdict(r) for r in store.refund_failures],
            "idempotency": [
                {"api_key": key[0], "key": key[1], **dataclasses.asdict(a), "body": a.body.decode()}
                for key, a in store.idempotency.items()
            ],
            "requests": dict(store.requests),
        }


def save(store: Store, path: Path) -> None:
    data = snapshot(store)
    temporary = path.with_name(path.name + ".tmp")
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary.write_text(json.dumps(data))
    os.replace(temporary, path)


def load(store: Store, path: Path) -> None:
    data = json.loads(path.read_text())
    if data.get("version") != VERSION:
        raise ValueError(f"{path}: unknown state version {data.get('version')!r}")
    with store.lock:
        store.reset()
        store.clock.offset = int(data["clock"]["offset"])
        # Never earlier than when the state was saved, so creation order still follows time.
        store.clock.offset += max(0, int(data["clock"]["now"]) - store.clock.now())
        for name, cls in _COLLECTIONS.items():
            collection: Collection[Any] = getattr(store, name)
            # A state file from before a collection existed simply has none of it.
            for item in data["collections"].get(name, []):
                collection.add(_build(cls, item))
        for account in data["accounts"]:
            store.accounts[account["id"]] = Account(
                account["id"], Counter(account["balance"]), account["transfers"], account["reversals"]
            )
        store.totals = {currency: Totals(**t) for currency, t in data["totals"].items()}
        store.unswept = list(data["unswept"])
        for at, _order, kind, object_id in data["scheduled"]:
            store.schedule(at, kind, object_id)
        store.declines = [ForcedDecline(**d) for d in data["declines"]]
        store.refund_failures = [RefundFailure(**r) for r in data["refund_failures"]]
        for entry in data["idempotency"]:
            store.idempotency[(entry["api_key"], entry["key"])] = IdempotentAnswer(
                entry["method"],
                entry["path"],
                entry["fingerprint"],
                entry["status"],
                entry["body"].encode(),
                entry["request_id"],
            )
        store.requests = Counter(data["requests"])

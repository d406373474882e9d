"""All the local server's state behind one lock, and its clock.

The clock is the real time plus an offset that `/_control/clock/advance` moves forward, so tests
can make balances available, sessions expire and payouts arrive without waiting. It never runs
backwards. Things that happen later (a session expiring, a balance becoming available, a refund
failing, a payout arriving) are scheduled on a heap and done by `tick()`, which every request
and the server's ticker thread call.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from stripe_local.collection import Collection
from stripe_local.ids import new_id
from stripe_local.models import (
    ApplicationFee,
    BalanceTransaction,
    Charge,
    CheckoutSession,
    CreditNote,
    Customer,
    Event,
    FeeRefund,
    Invoice,
    InvoiceItem,
    InvoicePayment,
    PaymentIntent,
    Payout,
    Refund,
    Transfer,
    TransferReversal,
)

API_VERSION = "2026-10-28.endive"


class Clock:
    """Real time plus `offset`; or, when `frozen`, the time it was made plus `offset` (tests)."""

    def __init__(self, *, frozen: bool = False) -> None:
        self.offset = 0
        self.frozen_at = int(time.time()) if frozen else None
        self._last = 0

    def now(self) -> int:
        base = self.frozen_at if self.frozen_at is not None else int(time.time())
        self._last = max(self._last, base + self.offset)
        return self._last

    def advance(self, seconds: int) -> int:
        self.offset += seconds
        return self.now()


@dataclass(slots=True)
class ForcedDecline:
    """A forced outcome for the next payment attempts, whatever card is used."""

    decline_code: str
    times: int


@dataclass(slots=True)
class RefundFailure:
    failure_reason: str
    after_seconds: int
    times: int


@dataclass(slots=True)
class IdempotentAnswer:
    method: str
    path: str
    fingerprint: str
    status: int
    body: bytes
    request_id: str


@dataclass(slots=True)
class Totals:
    available: int = 0
    pending: int = 0


@dataclass
class Account:
    """A connected account, known from its first use as a transfer destination."""

    id: str
    balance: Counter[str] = field(default_factory=Counter)
    transfers: int = 0
    reversals: int = 0


class Store:
    def __init__(self, *, public_url: str, frozen_clock: bool = False) -> None:
        self.lock = threading.RLock()
        self.public_url = public_url
        self.frozen_clock = frozen_clock
        self.clock = Clock(frozen=frozen_clock)
        self.application_id = new_id("ca_", 32)
        self.bank_account = new_id("ba_")
        self.listeners: list[Callable[[Event], None]] = []
        self.request_id: str | None = None
        self.idempotency_key: str | None = None
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.clock = Clock(frozen=self.frozen_clock)
            self.sessions: Collection[CheckoutSession] = Collection(
                "checkout.session", ("payment_intent", "status", "client_reference_id")
            )
            self.payment_intents: Collection[PaymentIntent] = Collection("payment_intent", ("status",))
            self.charges: Collection[Charge] = Collection("charge", ("payment_intent",))
            self.refunds: Collection[Refund] = Collection("refund", ("charge", "payment_intent"))
            self.balance_transactions: Collection[BalanceTransaction] = Collection(
                "balance_transaction", ("payout", "type", "source", "currency")
            )
            self.payouts: Collection[Payout] = Collection("payout", ("status",))
            self.transfers: Collection[Transfer] = Collection(
                "transfer", ("destination", "transfer_group", "source_transaction")
            )
            self.transfer_reversals: Collection[TransferReversal] = Collection(
                "transfer_reversal", ("transfer",)
            )
            self.application_fees: Collection[ApplicationFee] = Collection("application_fee", ("charge",))
            self.fee_refunds: Collection[FeeRefund] = Collection("fee_refund", ("fee",))
            self.events: Collection[Event] = Collection("event", ("type",))
            self.customers: Collection[Customer] = Collection("customer", ("email",))
            self.invoice_items: Collection[InvoiceItem] = Collection("invoiceitem", ("customer", "invoice"))
            self.invoices: Collection[Invoice] = Collection("invoice", ("customer", "status", "hosted_token"))
            self.invoice_payments: Collection[InvoicePayment] = Collection("invoice_payment", ("invoice",))
            self.credit_notes: Collection[CreditNote] = Collection("credit_note", ("invoice", "customer"))
            self.accounts: dict[str, Account] = {}
            self.totals: dict[str, Totals] = {}
            self.unswept: list[str] = []
            self.scheduled: list[tuple[int, int, str, str]] = []
            self._order = itertools.count()
            self.declines: list[ForcedDecline] = []
            self.refund_failures: list[RefundFailure] = []
            self.idempotency: dict[tuple[str, str], IdempotentAnswer] = {}
            self.requests: Counter[str] = Counter()

    def now(self) -> int:
        return self.clock.now()

    # Later happenings -------------------------------------------------------------------------

    def schedule(self, at: int, kind: str, object_id: str) -> None:
        heapq.heappush(self.scheduled, (at, next(self._order), kind, object_id))

    def due(self) -> list[tuple[str, str]]:
        now = self.now()
        ready = []
        while self.scheduled and self.scheduled[0][0] <= now:
            _, _, kind, object_id = heapq.heappop(self.scheduled)
            ready.append((kind, object_id))
        return ready

    # Events -----------------------------------------------------------------------------------

    def emit(self, type: str, data: dict[str, Any], previous: dict[str, Any] | None = None) -> Event:
        event = Event(
            id=new_id("evt_"),
            created=self.now(),
            type=type,
            data=data,
            previous_attributes=previous,
            request_id=self.request_id,
            idempotency_key=self.idempotency_key,
            api_version=API_VERSION,
        )
        self.events.add(event)
        for listener in self.listeners:
            listener(event)
        return event

    # Connected accounts -----------------------------------------------------------------------

    def account(self, account_id: str) -> Account:
        return self.accounts.setdefault(account_id, Account(account_id))

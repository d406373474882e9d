"""Every row lock payments takes, in one place.

Each lock names its own rows (`of=("self",)`): a joined tenant, order or line is read, never
locked, so events and refunds of one tenant do not queue on, or deadlock over, the tenant row that
every insert checks with FOR KEY SHARE. The order in which a transaction takes them: the Stripe
event, then the order, its lines (by pk), the refund, the ledger transaction (ledger.services).
A learner's checkout start is serialised apart (lock_checkout_start), before any row lock.

Each waits at most LOCK_TIMEOUT (`SET LOCAL lock_timeout`, for the rest of the transaction); a
wait that runs out is PaymentsBusy (503, "try again in a moment"; a job retries it), never a 500.
Lock inside `transaction.atomic()`, and never across a network call (Stripe, e-mail).
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from typing import TypeVar

from django.db import connection
from django.db.models import Model, QuerySet

from core.locks import bounded_wait
from payments.errors import PaymentsBusy
from payments.models import Order, OrderLine, Refund, StripeEvent
from tenants.models import Tenant

LOCK_TIMEOUT = "10s"

M = TypeVar("M", bound=Model)
T = TypeVar("T")


def _locked(take: Callable[[], T]) -> T:
    with bounded_wait(LOCK_TIMEOUT, busy=PaymentsBusy):
        return take()


def _own_rows(found: QuerySet[M]) -> QuerySet[M]:
    return found.select_for_update(of=("self",))


def lock_event(*, event_id: int) -> StripeEvent | None:
    """A stored Stripe event (its tenant read along), or None."""
    found = StripeEvent.objects.select_related("tenant").filter(pk=event_id)
    return _locked(lambda: _own_rows(found).first())


def lock_order(*, order_id: int) -> Order:
    return _locked(lambda: _own_rows(Order.objects.all()).get(pk=order_id))


def lock_order_by_reference(*, tenant: Tenant, reference: str) -> Order | None:
    return _locked(lambda: _own_rows(Order.objects.filter(tenant=tenant, reference=reference)).first())


def lock_order_lines(order: Order, *, status: str | None = None) -> list[OrderLine]:
    """The order's lines (of one status, if given), by pk."""
    found = order.lines.all() if status is None else order.lines.filter(status=status)
    return _locked(lambda: list(_own_rows(found).order_by("pk")))


def lock_order_line(*, tenant: Tenant, line_id: int) -> OrderLine | None:
    """One order line of the tenant, its order read along (not locked)."""
    return _locked(
        lambda: _own_rows(OrderLine.objects.select_related("order")).filter(tenant=tenant, pk=line_id).first()
    )


def lock_refund(*, refund_id: int, tenant: Tenant | None = None) -> Refund | None:
    """One refund (of the tenant, if given), its line read along (not locked), or None."""
    found = Refund.objects.select_related("line").filter(pk=refund_id)
    if tenant is not None:
        found = found.filter(tenant=tenant)
    return _locked(lambda: _own_rows(found).first())


def lock_checkout_start(*, tenant: Tenant, learner_id: int) -> None:
    """One checkout start at a time per learner, until the transaction ends (a transaction-level
    advisory lock: no row of anyone else's waits on it), so a double submit finds the order the
    first one drafted instead of drafting a second. Taken before any row lock."""
    key = zlib.crc32(f"payments.checkout:{tenant.pk}:{learner_id}".encode())
    with bounded_wait(LOCK_TIMEOUT, busy=PaymentsBusy), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])

"""Waiting for a row or advisory lock, at most so long.

    with bounded_wait("10s", busy=lambda: PaymentsBusy()):
        order = Order.objects.select_for_update(of=("self",)).get(pk=order_id)

`bounded_wait` sets the transaction's `lock_timeout` (`SET LOCAL`: it ends with the
transaction) and turns PostgreSQL's "lock not available" into the app's own domain error, so a
lock that does not come in time is a clear refusal (or a job's retry), never a 500. The
transaction is aborted when that happens: let the error roll it back.

Each app keeps its locks in one module that says which rows it locks and in what order
(`enrollment/services/_common.py`, `payments/services/locks.py`, `finance/services/locks.py`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.db import OperationalError, connection

from core.errors import MicrocredError

LOCK_NOT_AVAILABLE = "55P03"  # PostgreSQL's SQLSTATE when lock_timeout runs out


def lock_not_available(exc: OperationalError) -> bool:
    cause = exc.__cause__  # the driver's error: psycopg2 names the state pgcode, psycopg sqlstate
    return LOCK_NOT_AVAILABLE in (getattr(cause, "pgcode", None), getattr(cause, "sqlstate", None))


def set_lock_timeout(timeout: str) -> str:
    """Set this transaction's lock_timeout; the setting it replaces."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('lock_timeout'), set_config('lock_timeout', %s, true)", [timeout]
        )
        previous, _now = cursor.fetchone()
    return str(previous)


@contextmanager
def bounded_wait(timeout: str, *, busy: Callable[[], MicrocredError]) -> Iterator[str]:
    """Wait at most `timeout` for the locks taken inside; yields the setting it replaced (to put
    back when only the wait is to be bounded, not the work done under the lock)."""
    previous = set_lock_timeout(timeout)
    try:
        yield previous
    except OperationalError as exc:
        if lock_not_available(exc):
            raise busy() from exc
        raise

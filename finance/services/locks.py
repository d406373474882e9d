"""Finance's locks, all here: per-tenant advisory locks, one space per kind of work, the tenant's
id the key. Transaction scoped (released at commit or rollback), so only inside
`transaction.atomic()`.

Nothing waits for one longer than LOCK_TIMEOUT: a lock still held by then (another export or
reconciliation of the tenant running long) is FinanceBusy, a refusal the page, the API and the
jobs know how to answer (409, or a retry), never a request hanging until the worker is killed.
"""

from __future__ import annotations

from django.db import connection
from django.utils.translation import gettext as _

from core.locks import bounded_wait, set_lock_timeout
from finance.errors import FinanceBusy

JOURNAL = 0x6A6E6C  # "jnl": one GL journal export at a time per tenant
RECONCILE = 0x72636E  # "rcn": one reconciliation at a time per tenant

LOCK_TIMEOUT = "10s"  # a reconciliation of 200,000 rows takes under 10 s; an export less


def tenant_xact_lock(space: int, tenant_id: int, *, timeout: str | None = None) -> None:
    """Wait at most `timeout` (LOCK_TIMEOUT unless given) for, then hold until this transaction
    ends, the tenant's lock in `space`; FinanceBusy if it does not come (the transaction is then
    aborted: let it roll back).

    The timeout is the transaction's own (`SET LOCAL`) for the wait only, then put back, so the
    work done under the lock keeps the session's setting."""

    def busy() -> FinanceBusy:
        return FinanceBusy(_("Another finance job of this institution is running; try again in a minute."))

    with bounded_wait(timeout or LOCK_TIMEOUT, busy=busy) as previous, connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [space, tenant_id])
    set_lock_timeout(previous)

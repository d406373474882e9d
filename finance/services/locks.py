"""Finance's locks, all here: per-tenant advisory locks, one space per kind of work, the tenant's
id the key. Transaction scoped (released at commit or rollback), so only inside
`transaction.atomic()`.

Nothing waits for one longer than LOCK_TIMEOUT: a lock still held by then (another export or
reconciliation of the tenant running long) is FinanceBusy, a refusal the page, the API and the
jobs know how to answer (409, or a retry), never a request hanging until the worker is killed.
"""

from __future__ import annotations

from django.db import OperationalError, connection
from django.utils.translation import gettext as _

from finance.errors import FinanceBusy

JOURNAL = 0x6A6E6C  # "jnl": one GL journal export at a time per tenant
RECONCILE = 0x72636E  # "rcn": one reconciliation at a time per tenant

LOCK_TIMEOUT = "10s"  # a reconciliation of 200,000 rows takes under 10 s; an export less
LOCK_NOT_AVAILABLE = "55P03"  # PostgreSQL's SQLSTATE when lock_timeout expires


def tenant_xact_lock(space: int, tenant_id: int, *, timeout: str | None = None) -> None:
    """Wait at most `timeout` (LOCK_TIMEOUT unless given) for, then hold until this transaction
    ends, the tenant's lock in `space`; FinanceBusy if it does not come (the transaction is then
    aborted: let it roll back).

    The timeout is the transaction's own (`SET LOCAL`) for the wait only, then put back, so the
    work done under the lock keeps the session's setting."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('lock_timeout')")
        (previous,) = cursor.fetchone()
        cursor.execute("SELECT set_config('lock_timeout', %s, true)", [timeout or LOCK_TIMEOUT])
        try:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [space, tenant_id])
        except OperationalError as exc:
            if getattr(exc.__cause__, "pgcode", None) != LOCK_NOT_AVAILABLE:
                raise
            raise FinanceBusy(
                _("Another finance job of this institution is running; try again in a minute.")
            ) from exc
        cursor.execute("SELECT set_config('lock_timeout', %s, true)", [previous])

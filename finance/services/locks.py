"""Per-tenant advisory locks: one space per kind of work, the tenant's id the key. Transaction
scoped (released at commit or rollback), so only inside `transaction.atomic()`."""

from __future__ import annotations

from django.db import connection

JOURNAL = 0x6A6E6C  # "jnl": one GL journal export at a time per tenant
RECONCILE = 0x72636E  # "rcn": one reconciliation at a time per tenant


def tenant_xact_lock(space: int, tenant_id: int) -> None:
    """Wait for, then hold until this transaction ends, the tenant's lock in `space`."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [space, tenant_id])

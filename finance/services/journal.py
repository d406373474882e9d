"""GL journal exports: every ledger entry of a currency that occurred before the period's end and
was not exported before, as one balanced journal.

What an export took is recorded (ExportedEntry, one row per ledger entry, its primary key the
entry's id: an entry is exported once, ever), so the next export continues where the last left
off: entries posted late for an exported period and corrections (new reversing entries; ledger
rows never change) land in the next one. The ledger itself is not touched.
"""

from __future__ import annotations

from datetime import datetime

from django.db import connection, transaction

from finance.errors import NothingToExport
from finance.models import ExportedEntry, JournalExport
from finance.services.locks import JOURNAL, tenant_xact_lock
from identity.models import User
from ledger.models import LedgerEntry
from tenants.models import Tenant


@transaction.atomic
def journal_export(
    *, tenant: Tenant, currency: str, period_end: datetime, created_by: User | None = None
) -> JournalExport:
    """Export what is due; NothingToExport (and nothing recorded) when nothing is."""
    currency = currency.upper()
    tenant_xact_lock(JOURNAL, tenant.pk)  # one export at a time per tenant
    export = JournalExport.objects.create(
        tenant=tenant, currency=currency, period_end=period_end, created_by=created_by
    )
    le, ex = LedgerEntry._meta.db_table, ExportedEntry._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {ex} (entry_id, export_id, tenant_id)
            SELECT e.id, %s, e.tenant_id FROM {le} e
            WHERE e.tenant_id = %s AND e.currency = %s AND e.occurred_at < %s
              AND NOT EXISTS (SELECT 1 FROM {ex} x WHERE x.entry_id = e.id)
            """,
            [export.pk, tenant.pk, currency, period_end],
        )
        cursor.execute(
            f"""
            SELECT COUNT(*), COALESCE(SUM(GREATEST(e.amount, 0)), 0),
                   COALESCE(SUM(GREATEST(-e.amount, 0)), 0),
                   MIN(e.occurred_at), MAX(e.occurred_at)
            FROM {ex} x JOIN {le} e ON e.id = x.entry_id WHERE x.export_id = %s
            """,
            [export.pk],
        )
        count, debit, credit, first, last = cursor.fetchone()
    if not count:
        raise NothingToExport("Every ledger entry before that date has been exported already.")
    export.line_count = count
    export.debit_total = debit
    export.credit_total = credit  # the table's check refuses an unbalanced journal
    export.first_occurred_at = first
    export.last_occurred_at = last
    export.save(
        update_fields=["line_count", "debit_total", "credit_total", "first_occurred_at", "last_occurred_at"]
    )
    return export

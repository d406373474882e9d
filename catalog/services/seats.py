"""The seat counter the enrollment engine maintains, one conditional statement per change.

Each is a single UPDATE … WHERE … RETURNING: it waits for the offering's row lock (taken by a
capacity change), then re-checks its condition against the committed row, so a seat and a lower
capacity can never both win. The CheckConstraint 0 ≤ seats_taken ≤ capacity backs it. Call them
inside the enrollment transaction that writes the enrollment row.
"""

from __future__ import annotations

from django.db import connection

from catalog.cache import catalog_changed
from catalog.models import Offering
from tenants.models import Tenant

_TABLE = Offering._meta.db_table


def offering_seats_take(*, tenant: Tenant, offering_id: int, count: int = 1) -> bool:
    """Take `count` seats if that many are left. False (and nothing changed) otherwise."""
    if count < 1:
        raise ValueError("count must be positive")
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {_TABLE} SET seats_taken = seats_taken + %s, "  # noqa: S608 - table name is ours
            # The first time the run fills is kept (demand: how fast offerings fill).
            "filled_at = COALESCE(filled_at, CASE WHEN seats_taken + %s = capacity THEN now() END) "
            "WHERE id = %s AND tenant_id = %s AND seats_taken + %s <= capacity "
            "RETURNING seats_taken, capacity",
            [count, count, offering_id, tenant.pk, count],
        )
        row = cursor.fetchone()
    if row is None:
        return False
    if row[0] == row[1]:  # just became full: the catalog stops showing seats left
        catalog_changed(tenant.pk)
    return True


def offering_seats_release(*, tenant: Tenant, offering_id: int, count: int = 1) -> None:
    """Give back `count` seats (a cancellation or an expired hold)."""
    if count < 1:
        raise ValueError("count must be positive")
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {_TABLE} SET seats_taken = seats_taken - %s "  # noqa: S608 - table name is ours
            "WHERE id = %s AND tenant_id = %s AND seats_taken >= %s "
            "RETURNING seats_taken, capacity",
            [count, offering_id, tenant.pk, count],
        )
        row = cursor.fetchone()
    if row is None:
        raise ValueError(f"offering {offering_id} has fewer than {count} seats taken")
    if row[0] + count == row[1]:  # was full: seats are showing again
        catalog_changed(tenant.pk)

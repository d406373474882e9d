"""Taking seats (catalog.services.offering_seats_take) as a PL/pgSQL function, so the enroll
path's write (enrollment migration 0005) takes its seat in the same statement as it writes the
enrollment, with no round trip between them while the offering's row lock is held; and the
condition is written once, here, for both.

One conditional UPDATE: it waits for the offering's row lock (taken by a capacity change), then
re-checks its condition against the committed row, so a seat and a lower capacity can never both
win. Returns the new (seats_taken, capacity), or no row (and nothing changed) when that many
seats are not left.
"""

from django.db import migrations

FUNCTION = """
CREATE FUNCTION catalog_offering_seats_take(p_offering bigint, p_tenant bigint, p_count integer)
RETURNS TABLE (seats_taken integer, capacity integer)
LANGUAGE plpgsql VOLATILE AS $$
#variable_conflict use_column
DECLARE
    v_taken integer;
    v_capacity integer;
BEGIN
    UPDATE catalog_offering o SET seats_taken = o.seats_taken + p_count
        WHERE o.id = p_offering AND o.tenant_id = p_tenant AND o.seats_taken + p_count <= o.capacity
        RETURNING o.seats_taken, o.capacity INTO v_taken, v_capacity;
    IF FOUND THEN
        RETURN QUERY SELECT v_taken, v_capacity;
    END IF;
END
$$;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0001_initial"),
    ]

    operations = [
        migrations.RunSQL(FUNCTION, "DROP FUNCTION catalog_offering_seats_take(bigint, bigint, integer)"),
    ]

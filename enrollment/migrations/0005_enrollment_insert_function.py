"""The enroll path's write (enrollment.services._sql.enrollment_insert) as a PL/pgSQL function.

Why: sent as text, its statements (the enrollment, its event, the wait-list place and the
idempotency record, in CTEs) were parsed and planned on every request; measured, that was most
of the database's work for an enrollment (executing them took ~0.3 ms). A PL/pgSQL function
keeps its statements' plans for the connection, as the read does (migration 0003).

With `p_take_seat` it first takes a seat (catalog's `catalog_offering_seats_take`, the one
conditional UPDATE) and answers no row, having written nothing, when none is left: the seat and
the enrollment are written with no round trip between them while the offering's row is locked.

One call is one statement: called outside a transaction it is its own, and a unique index that
refuses any of its rows (the learner's active enrollment, the idempotency key) leaves nothing
written, the seat included. The wait-list place is the wait-list count as this enrollment's own
INSERT left it (its trigger counted it in under the count row's lock, held to the commit):
exact, whatever left the list before. With a key, the answer stored with it gets the enrollment's id, and for a waiting
learner its place, written in (`p_waiting_text`: a format() string with one %s).
"""

from django.db import migrations

SIGNATURE = (
    "enrollment_insert(boolean, bigint, bigint, bigint, text, timestamptz, timestamptz, bigint, text, "
    "text, bigint, text, text, integer, jsonb, text)"
)

FUNCTION = """
CREATE FUNCTION enrollment_insert(
    p_take_seat boolean, p_tenant bigint, p_offering bigint, p_learner bigint, p_status text,
    p_hold_expires_at timestamptz, p_now timestamptz, p_actor bigint, p_action text, p_reason text,
    p_key_user bigint, p_key text, p_fingerprint text, p_http_status integer, p_body jsonb,
    p_waiting_text text
)
RETURNS TABLE (
    id bigint, arrival bigint, waiting integer, stored text, seats_taken integer, capacity integer
)
LANGUAGE plpgsql VOLATILE SET enable_seqscan = off AS $$
#variable_conflict use_column
DECLARE
    v_id bigint;
    v_arrival bigint;
    v_waiting integer;
    v_body jsonb;
    v_taken integer;
    v_capacity integer;
BEGIN
    IF p_take_seat THEN
        SELECT s.seats_taken, s.capacity INTO v_taken, v_capacity
            FROM catalog_offering_seats_take(p_offering, p_tenant, 1) s;
        IF NOT FOUND THEN
            RETURN;  -- no seat left: nothing written, no row
        END IF;
    END IF;
    INSERT INTO enrollment_enrollment AS e
        (tenant_id, offering_id, learner_id, status, hold_expires_at, created_at, updated_at)
        VALUES (p_tenant, p_offering, p_learner, p_status, p_hold_expires_at, p_now, p_now)
        RETURNING e.id, e.arrival INTO v_id, v_arrival;
    INSERT INTO enrollment_enrollmentevent
        (tenant_id, enrollment_id, actor_id, action, from_status, to_status, reason, details, at)
        VALUES (p_tenant, v_id, p_actor, p_action, '', p_status, left(p_reason, 500), '{}'::jsonb, p_now);
    IF p_status = 'waitlisted' THEN
        SELECT c.waiting INTO v_waiting FROM enrollment_waitlistcount c WHERE c.offering_id = p_offering;
    END IF;
    IF p_key IS NOT NULL THEN
        v_body := jsonb_set(p_body, '{id}', to_jsonb(v_id));
        IF v_waiting IS NOT NULL THEN
            v_body := jsonb_set(
                jsonb_set(v_body, '{waitlist_position}', to_jsonb(v_waiting)),
                '{next_step,text}', to_jsonb(format(p_waiting_text, v_waiting))
            );
        END IF;
        INSERT INTO enrollment_idempotencyrecord
            (tenant_id, user_id, key, fingerprint, status_code, created_at, body)
            VALUES (p_tenant, p_key_user, p_key, p_fingerprint, p_http_status, p_now, v_body);
    END IF;
    RETURN QUERY SELECT v_id, v_arrival, v_waiting, v_body::text, v_taken, v_capacity;
END
$$;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("enrollment", "0004_offering_for_enroll_on_indexes"),
        ("catalog", "0002_offering_seats_take_function"),
    ]

    operations = [
        migrations.RunSQL(FUNCTION, f"DROP FUNCTION {SIGNATURE}"),
    ]

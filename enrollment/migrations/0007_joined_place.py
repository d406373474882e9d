"""Enrollment.joined_place: the wait-list count's trigger (migration 0002) also writes the count
it left into the joining row, so the INSERT returns the learner's place (no read under the
count's lock)."""

from django.db import migrations, models

FUNCTION = """
CREATE OR REPLACE FUNCTION enrollment_waitlist_count() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    left_list boolean := false;
    joined_list boolean := false;
BEGIN
    IF TG_OP = 'DELETE' THEN
        left_list := OLD.status = 'waitlisted';
    ELSIF TG_OP = 'INSERT' THEN
        joined_list := NEW.status = 'waitlisted';
    ELSE
        left_list := OLD.status = 'waitlisted'
            AND (NEW.status <> 'waitlisted' OR NEW.offering_id <> OLD.offering_id);
        joined_list := NEW.status = 'waitlisted'
            AND (OLD.status <> 'waitlisted' OR NEW.offering_id <> OLD.offering_id);
    END IF;
    IF left_list THEN
        UPDATE enrollment_waitlistcount SET waiting = waiting - 1 WHERE offering_id = OLD.offering_id;
    END IF;
    IF joined_list THEN
        INSERT INTO enrollment_waitlistcount AS c (offering_id, tenant_id, waiting)
            VALUES (NEW.offering_id, NEW.tenant_id, 1)
            ON CONFLICT (offering_id) DO UPDATE SET waiting = c.waiting + 1
            RETURNING c.waiting INTO NEW.joined_place;
        NEW.arrival := nextval('enrollment_arrival_seq');
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END
$$;
"""

BEFORE = """
CREATE OR REPLACE FUNCTION enrollment_waitlist_count() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    left_list boolean := false;
    joined_list boolean := false;
BEGIN
    IF TG_OP = 'DELETE' THEN
        left_list := OLD.status = 'waitlisted';
    ELSIF TG_OP = 'INSERT' THEN
        joined_list := NEW.status = 'waitlisted';
    ELSE
        left_list := OLD.status = 'waitlisted'
            AND (NEW.status <> 'waitlisted' OR NEW.offering_id <> OLD.offering_id);
        joined_list := NEW.status = 'waitlisted'
            AND (OLD.status <> 'waitlisted' OR NEW.offering_id <> OLD.offering_id);
    END IF;
    IF left_list THEN
        UPDATE enrollment_waitlistcount SET waiting = waiting - 1 WHERE offering_id = OLD.offering_id;
    END IF;
    IF joined_list THEN
        INSERT INTO enrollment_waitlistcount AS c (offering_id, tenant_id, waiting)
            VALUES (NEW.offering_id, NEW.tenant_id, 1)
            ON CONFLICT (offering_id) DO UPDATE SET waiting = c.waiting + 1;
        NEW.arrival := nextval('enrollment_arrival_seq');
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END
$$;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("enrollment", "0006_enroll_path_in_python"),
    ]

    operations = [
        migrations.AddField(
            model_name="enrollment",
            name="joined_place",
            field=models.IntegerField(blank=True, db_default=None, editable=False, null=True),
        ),
        migrations.RunSQL(FUNCTION, BEFORE),
    ]

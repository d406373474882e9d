"""Enrollment.joined_place: the wait-list count's trigger (migration 0002) also writes the count
it left into the joining row, so the INSERT returns the learner's place (no read under the
count's lock)."""

from importlib import import_module

from django.db import migrations, models

# The trigger function as migration 0002 created it, and with the place written into the row.
_created = import_module("enrollment.migrations.0002_waitlist_count").TRIGGER
_start = _created.index("CREATE FUNCTION")
BEFORE = _created[_start : _created.index("$$;", _start) + 3].replace(
    "CREATE FUNCTION", "CREATE OR REPLACE FUNCTION"
)
_COUNTED = "ON CONFLICT (offering_id) DO UPDATE SET waiting = c.waiting + 1;"
if _COUNTED not in BEFORE:
    raise RuntimeError("This is not the trigger function this migration changes.")
FUNCTION = BEFORE.replace(
    _COUNTED, _COUNTED[:-1] + "\n            RETURNING c.waiting INTO NEW.joined_place;"
)


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

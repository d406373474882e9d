"""Keep the enroll path's read (migration 0003) on its indexes whatever the statistics say.

The function's plan is made at a worker's first calls and kept for its connection. Made while
the statistics said the enrollment table was empty (analyzed just after being emptied, or on a
new platform), it scanned the whole table for the learner's enrollment, and kept doing so while a
flash sale filled it: measured, the database's CPU per enrollment grew through the sale. Every
lookup in it has an index (the learner's active enrollment: the unique index on offering and
learner; anyone waiting: the wait-list order index), so the function asks for index scans.
"""

from django.db import migrations

SIGNATURE = "enrollment_offering_for_enroll(bigint, bigint, bigint)"


class Migration(migrations.Migration):
    dependencies = [
        ("enrollment", "0003_offering_for_enroll_function"),
    ]

    operations = [
        migrations.RunSQL(
            f"ALTER FUNCTION {SIGNATURE} SET enable_seqscan = off",
            f"ALTER FUNCTION {SIGNATURE} RESET enable_seqscan",
        ),
    ]

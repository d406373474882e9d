"""The enroll path runs in Python and the ORM (enrollment.services.enroll): the two PL/pgSQL
functions it used (0003, 0004, 0005) go. Idempotency answers are stored through the ORM, with
the encoder the answers were written with (DjangoJSONEncoder). Reversed, the functions come back
as those migrations made them."""

from importlib import import_module

import django.core.serializers.json
from django.db import migrations, models

_read = import_module("enrollment.migrations.0003_offering_for_enroll_function")
_read_on_indexes = import_module("enrollment.migrations.0004_offering_for_enroll_on_indexes")
_write = import_module("enrollment.migrations.0005_enrollment_insert_function")

DROP = f"""
DROP FUNCTION IF EXISTS {_write.SIGNATURE};
DROP FUNCTION IF EXISTS {_read_on_indexes.SIGNATURE};
"""


class Migration(migrations.Migration):
    dependencies = [
        ("enrollment", "0005_enrollment_insert_function"),
    ]

    operations = [
        migrations.AlterField(
            model_name="idempotencyrecord",
            name="body",
            field=models.JSONField(encoder=django.core.serializers.json.DjangoJSONEncoder, null=True),
        ),
        migrations.RunSQL(
            DROP,
            [_read.FUNCTION, *(op.sql for op in _read_on_indexes.Migration.operations), _write.FUNCTION],
        ),
    ]

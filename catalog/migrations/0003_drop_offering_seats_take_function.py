"""Seats are taken by the conditional UPDATE sent from catalog.services.offering_seats_take
itself: the database function (0002) was there for a statement of the enroll path that called
it, and that path now runs in Python (enrollment 0006). Reversed, the function comes back."""

from importlib import import_module

from django.db import migrations

_function = import_module("catalog.migrations.0002_offering_seats_take_function")


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0002_offering_seats_take_function"),
    ]

    operations = [
        migrations.RunSQL(
            "DROP FUNCTION IF EXISTS catalog_offering_seats_take(bigint, bigint, integer)",
            _function.FUNCTION,
        ),
    ]

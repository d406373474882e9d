import django.db.models.deletion
from django.db import migrations, models


def microcredential_of_offering(apps, schema_editor):  # type: ignore[no-untyped-def]
    SeatPool = apps.get_model("sponsors", "SeatPool")
    Offering = apps.get_model("catalog", "Offering")
    for pool in SeatPool.objects.filter(microcredential__isnull=True).iterator():
        pool.microcredential_id = Offering.objects.values_list("microcredential_id", flat=True).get(
            pk=pool.offering_id
        )
        pool.save(update_fields=["microcredential"])


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0001_initial"),
        ("sponsors", "0006_pool_checkout"),
    ]

    operations = [
        migrations.AddField(
            model_name="seatpool",
            name="microcredential",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="catalog.microcredential",
            ),
        ),
        migrations.RunPython(microcredential_of_offering, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="seatpool",
            name="microcredential",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT, related_name="+", to="catalog.microcredential"
            ),
        ),
        migrations.AlterField(
            model_name="seatpool",
            name="offering",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="catalog.offering",
            ),
        ),
        migrations.AddField(
            model_name="seatpool",
            name="valid_until",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddConstraint(
            model_name="seatpool",
            constraint=models.CheckConstraint(
                condition=models.Q(("offering__isnull", False), ("valid_until__isnull", False), _connector="OR"),
                name="sponsors_pool_any_run_has_end",
            ),
        ),
    ]

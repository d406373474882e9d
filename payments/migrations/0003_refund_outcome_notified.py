from typing import Any

from django.db import migrations, models
from django.db.models import F


def mark_past_outcomes(apps: Any, schema_editor: Any) -> None:
    """Refunds that ended before this e-mail existed are not mailed now (the sweep would)."""
    Refund = apps.get_model("payments", "Refund")
    Refund.objects.filter(state__in=("succeeded", "failed")).update(outcome_notified=F("state"))


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0002_refunds"),
    ]

    operations = [
        migrations.AddField(
            model_name="refund",
            name="outcome_notified",
            field=models.CharField(blank=True, default="", max_length=20),
        ),
        migrations.RunPython(mark_past_outcomes, migrations.RunPython.noop),
    ]

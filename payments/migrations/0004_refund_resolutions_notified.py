from typing import Any

from django.db import migrations


def mark_past_resolutions(apps: Any, schema_editor: Any) -> None:
    """Refunds resolved by hand before this e-mail existed are not mailed now (the sweep would)."""
    Refund = apps.get_model("payments", "Refund")
    Refund.objects.filter(state="resolved").update(outcome_notified="resolved")


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0003_refund_outcome_notified"),
    ]

    operations = [
        migrations.RunPython(mark_past_resolutions, migrations.RunPython.noop),
    ]

from typing import Any

from django.core.management.base import BaseCommand

from tenants.demo import seed_demo


class Command(BaseCommand):
    help = "Seed the demo tenants, units and staff accounts (does nothing if they exist)."

    def handle(self, *args: Any, **options: Any) -> None:
        created = seed_demo()
        self.stdout.write("Demo data seeded." if created else "Demo data already present; left as it is.")

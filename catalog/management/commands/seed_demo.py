from typing import Any

from django.core.management.base import BaseCommand

from catalog.demo import seed_catalog
from tenants.demo import seed_demo


class Command(BaseCommand):
    """Lives in catalog, the lowest app that may import both tenants' and catalog's demo data."""

    help = "Seed the demo tenants, units, staff accounts and catalog (leaves existing demo data as it is)."

    def handle(self, *args: Any, **options: Any) -> None:
        tenants_created = seed_demo()
        catalog_created = seed_catalog()
        if tenants_created or catalog_created:
            self.stdout.write("Demo data seeded.")
        else:
            self.stdout.write("Demo data already present; left as it is.")

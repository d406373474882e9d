from typing import Any

from django.core.management.base import BaseCommand

from catalog.demo import seed_catalog
from enrollment.demo import seed_enrollments
from tenants.demo import seed_demo


class Command(BaseCommand):
    """Lives in enrollment, the lowest app that may import the tenants', catalog's and its own demo data."""

    help = (
        "Seed the demo tenants, units, staff accounts, catalog and the enrollments behind its taken seats "
        "(leaves existing demo data as it is)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        tenants_created = seed_demo()
        catalog_created = seed_catalog()
        enrollments_created = seed_enrollments()
        if tenants_created or catalog_created or enrollments_created:
            self.stdout.write("Demo data seeded.")
        else:
            self.stdout.write("Demo data already present; left as it is.")

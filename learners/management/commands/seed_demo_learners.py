from typing import Any

from django.core.management.base import BaseCommand

from learners.demo import seed_demo_learners


class Command(BaseCommand):
    help = "Seed the demo learners (after seed_demo); adds only the ones that are missing."

    def handle(self, *args: Any, **options: Any) -> None:
        created = seed_demo_learners()
        self.stdout.write(f"Demo learners added: {created}." if created else "Demo learners already present.")

"""A catalog of 10,000 offerings across 50 units for the benchmark (bulk inserts; idempotent).

python -m bench.seed   (DJANGO_SETTINGS_MODULE=bench.settings, DATABASE_URL of the bench database)
"""

from __future__ import annotations

import itertools
import random
import sys
from datetime import timedelta
from decimal import Decimal

import django

HOST = "bench.localhost"
UNITS = 50
CREDENTIALS_PER_UNIT = 40
OFFERINGS_PER_CREDENTIAL = 5  # 50 × 40 × 5 = 10,000

ADJECTIVES = [
    "Applied",
    "Practical",
    "Advanced",
    "Introductory",
    "Professional",
    "Modern",
    "Strategic",
    "Hands-on",
]
TOPICS = [
    "Data Analysis",
    "Python Programming",
    "Project Management",
    "Digital Marketing",
    "Cloud Computing",
    "Financial Modelling",
    "Leadership",
    "Cybersecurity",
    "Supply Chain",
    "Wound Care",
    "Welding",
    "Machine Learning",
    "Negotiation",
    "Public Health",
    "Accounting",
    "UX Design",
    "SQL Databases",
    "Customer Service",
    "Early Childhood Education",
    "Renewable Energy",
]
KINDS = ["Essentials", "Certificate", "Bootcamp", "Foundations", "Workshop"]
SKILLS = ["Python", "pandas", "SQL", "Excel", "leadership", "communication", "statistics", "security", "AWS"]


def _analyze() -> None:
    """Planner statistics, as autovacuum keeps them in production; right after a bulk load the
    planner has none, and a search took 23 ms instead of 4 ms."""
    from django.db import connection

    with connection.cursor() as cursor:
        for table in ("tenants_unit", "catalog_microcredential", "catalog_offering", "catalog_refundpolicy"):
            cursor.execute(f"ANALYZE {table}")


def seed() -> str:
    from django.db import transaction
    from django.utils import timezone

    from catalog.cache import catalog_changed
    from catalog.models import (
        DeliveryMode,
        Microcredential,
        Offering,
        PublicationStatus,
        RefundPolicy,
        RefundTier,
    )
    from tenants.models import Domain, Tenant, Unit

    tenant = Tenant.objects.filter(slug="bench").first()
    if tenant is not None and Offering.objects.filter(tenant=tenant).count() >= UNITS * 200:
        catalog_changed(tenant.pk)  # start from a cold page cache
        _analyze()
        return "bench catalog already present"
    rng = random.Random(4)  # noqa: S311 - the same catalog every time, not a secret
    now = timezone.now()
    with transaction.atomic():
        if tenant is None:
            tenant = Tenant.objects.create(slug="bench", name="Bench University", time_zone="America/Chicago")
            Domain.objects.create(tenant=tenant, host=HOST, is_primary=True)
        Offering.objects.filter(tenant=tenant).delete()
        Microcredential.parts.through.objects.filter(from_microcredential__tenant=tenant).delete()
        Microcredential.objects.filter(tenant=tenant).delete()
        RefundTier.objects.filter(policy__tenant=tenant).delete()
        RefundPolicy.objects.filter(tenant=tenant).delete()
        Unit.objects.filter(tenant=tenant).delete()
        units = Unit.objects.bulk_create(
            Unit(
                tenant=tenant,
                slug=f"unit-{n:02d}",
                name=f"School {n:02d}",
                primary_colour=f"#{rng.randrange(0x202020, 0xA0A0A0):06x}",
                gl_code=f"GL-{n:03d}",
            )
            for n in range(UNITS)
        )
        policies = RefundPolicy.objects.bulk_create(
            RefundPolicy(tenant=tenant, unit=unit, name="Standard", currency="USD", is_unit_default=True)
            for unit in units
        )
        RefundTier.objects.bulk_create(
            itertools.chain.from_iterable(
                (
                    RefundTier(policy=p, days_before_start=14, refund_percent=100),
                    RefundTier(policy=p, days_before_start=3, refund_percent=50),
                )
                for p in policies
            )
        )
        credentials = Microcredential.objects.bulk_create(
            Microcredential(
                tenant=tenant,
                unit=unit,
                title=f"{rng.choice(ADJECTIVES)} {rng.choice(TOPICS)} {rng.choice(KINDS)}",
                summary="A short, career-focused course with practical projects.",
                outcomes="Apply the methods at work\nExplain the results to colleagues",
                skills=", ".join(rng.sample(SKILLS, 3)),
                credit_value=Decimal(rng.choice(["0", "1.5", "3", "5"])),
                status=PublicationStatus.PUBLISHED,
                published_at=now,
            )
            for unit in units
            for _ in range(CREDENTIALS_PER_UNIT)
        )
        offerings = []
        for credential in credentials:
            for _ in range(OFFERINGS_PER_CREDENTIAL):
                starts = now + timedelta(days=rng.randrange(-20, 360), hours=rng.randrange(0, 24))
                capacity = rng.choice([12, 20, 30, 60])
                offerings.append(
                    Offering(
                        tenant=tenant,
                        microcredential=credential,
                        starts_at=starts,
                        ends_at=starts + timedelta(weeks=rng.randrange(1, 10)),
                        time_zone="America/Chicago",
                        enrollment_opens_at=starts - timedelta(days=rng.randrange(10, 90)),
                        enrollment_closes_at=starts - timedelta(days=1),
                        delivery_mode=rng.choice(DeliveryMode.values),
                        location="Main Campus",
                        capacity=capacity,
                        seats_taken=rng.randrange(0, capacity + 1),
                        price_minor=rng.choice([0, 45000, 89500, 125000, 240000]),
                        currency="USD",
                        status=PublicationStatus.PUBLISHED,
                        published_at=now,
                    )
                )
        Offering.objects.bulk_create(offerings, batch_size=2000)
        catalog_changed(tenant.pk)
    _analyze()
    return f"seeded {len(units)} units, {len(credentials)} microcredentials, {len(offerings)} offerings"


if __name__ == "__main__":
    django.setup()
    print(seed(), flush=True)
    sys.exit(0)

"""OneRoster 1.2 reads against a large roster: time per request of each endpoint an LMS's sync
uses, and of the bulk CSV zip, in one Django process (the framework's test client, no HTTP
server), so the figures are the view, the queries and the serialisation.

    .venv/bin/python -m bench.oneroster [--learners 5000] [--offerings 200] [--seats 20000] [--repeat 5]

Database `microcred_bench_oneroster` on 127.0.0.1 (BENCH_OR_DATABASE_URL overrides), dropped,
created and migrated by this script; Redis db 9 unless BENCH_OR_REDIS_URL. Seeds one tenant with
two units, --offerings published offerings, --learners learners and --seats confirmed seats
(bulk inserts), a OneRoster client with both scopes and its client-credentials token. Each path
is asked --repeat times; the median is printed, with the rows it answers and its query count.
The last line is one JSON object (`<name>_ms`, `zip_bytes`). Not part of `make test`.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from typing import Any
from urllib.parse import urlparse

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/microcred_bench_oneroster"
HOST = "oneroster.bench.test"


def _database(url: str) -> None:
    """Drop and create the bench database (a clean roster each run)."""
    import psycopg2

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin = psycopg2.connect(
        host=parsed.hostname,
        port=parsed.port or 5432,
        user=parsed.username,
        password=parsed.password,
        dbname="postgres",
    )
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')
    admin.close()


def _seed(learners: int, offerings: int, seats: int) -> dict[str, Any]:
    from datetime import timedelta

    from django.utils import timezone

    from access.oneroster.clients import oneroster_client_create
    from access.oneroster.scopes import ROSTER_CORE_READONLY, ROSTER_READONLY
    from catalog.models import DeliveryMode, Microcredential, Offering, PublicationStatus
    from enrollment.models import Enrollment, EnrollmentStatus
    from identity.models import User
    from tenants.models import Domain, Tenant, Unit

    now = timezone.now()
    tenant = Tenant.objects.create(slug="bench", name="Bench University")
    Domain.objects.create(tenant=tenant, host=HOST, is_primary=True)
    units = [
        Unit.objects.create(tenant=tenant, slug=f"unit-{i}", name=f"Unit {i}", gl_code=f"U{i}")
        for i in range(2)
    ]
    made = []
    for index in range(offerings):
        course = Microcredential.objects.create(
            tenant=tenant,
            unit=units[index % 2],
            title=f"Course {index}",
            summary="A course.",
            status=PublicationStatus.PUBLISHED,
            published_at=now,
        )
        made.append(
            Offering(
                tenant=tenant,
                microcredential=course,
                starts_at=now + timedelta(days=10),
                ends_at=now + timedelta(days=50),
                time_zone="America/New_York",
                enrollment_opens_at=now - timedelta(days=1),
                enrollment_closes_at=now + timedelta(days=9),
                delivery_mode=DeliveryMode.ONLINE,
                capacity=seats,
                currency="USD",
                lms_course_ref=f"C-{index}",
                status=PublicationStatus.PUBLISHED,
                published_at=now,
            )
        )
    made = Offering.objects.bulk_create(made)
    people = User.objects.bulk_create(
        [User(email=f"learner{i}@bench.test", full_name=f"Learner Number{i}") for i in range(learners)]
    )
    Enrollment.objects.bulk_create(
        [
            Enrollment(
                tenant=tenant,
                offering=made[(i + i // learners) % offerings],
                learner=people[i % learners],
                status=EnrollmentStatus.CONFIRMED,
                updated_at=now,
            )
            for i in range(seats)
        ],
        batch_size=5000,
    )
    registered = oneroster_client_create(
        tenant=tenant, name="Bench SIS", unit=None, scopes=[ROSTER_CORE_READONLY, ROSTER_READONLY]
    )
    return {"registered": registered, "first_offering": made[0].pk}


def _token(client: Any, registered: Any) -> str:
    import base64

    app = registered.relying_party.application
    basic = base64.b64encode(f"{app.client_id}:{registered.client_secret}".encode()).decode()
    response = client.post(
        "/oidc/token/",
        {"grant_type": "client_credentials"},
        HTTP_HOST=HOST,
        HTTP_AUTHORIZATION=f"Basic {basic}",
    )
    if response.status_code != 200:
        raise SystemExit(f"token endpoint answered {response.status_code}: {response.content[:200]!r}")
    return str(response.json()["access_token"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--learners", type=int, default=5000)
    parser.add_argument("--offerings", type=int, default=200)
    parser.add_argument("--seats", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    if args.seats > args.learners * args.offerings:
        raise SystemExit("--seats cannot exceed learners × offerings (one seat per learner and offering)")

    url = os.environ.get("BENCH_OR_DATABASE_URL", DEFAULT_DB)
    os.environ["DATABASE_URL"] = url
    os.environ["REDIS_URL"] = os.environ.get("BENCH_OR_REDIS_URL", "redis://127.0.0.1:6379/9")
    os.environ["DJANGO_SETTINGS_MODULE"] = "microcred.test_settings"
    print(f"Preparing {url} (drop, create, migrate, seed)…", flush=True)
    _database(url)

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    seeded = _seed(args.learners, args.offerings, args.seats)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(
        f"Seeded {args.learners} learners, {args.offerings} offerings, {args.seats} seats "
        f"in {time.perf_counter() - started:.1f} s",
        flush=True,
    )
    client = Client()
    token = _token(client, seeded["registered"])
    base = "/ims/oneroster/rostering/v1p2"
    first = seeded["first_offering"]
    last_users = max(args.learners - 100, 0)
    last_seats = max(args.seats - 100, 0)
    paths = {
        "users_first_page": f"{base}/users?limit=100",
        "users_last_page": f"{base}/users?limit=100&offset={last_users}",
        "users_sorted_filtered": f"{base}/users?filter=status='active'&sort=email&limit=100",
        "enrollments_first_page": f"{base}/enrollments?limit=100",
        "enrollments_last_page": f"{base}/enrollments?limit=100&offset={last_seats}",
        "enrollments_delta_1000": (
            f"{base}/enrollments?filter=dateLastModified>'2020-01-01T00:00:00Z'&limit=1000"
        ),
        "classes_all": f"{base}/classes?limit=1000",
        "academic_sessions_all": f"{base}/academicSessions?limit=1000",
        "class_students": f"{base}/classes/offering-{first}/students",
        "bulk_zip": "/ims/oneroster/csv/v1p2/bulk.zip",
    }
    summary: dict[str, float] = {}
    print(f"\n{'request':<24} {'median ms':>10} {'rows':>8} {'queries':>8}")
    for name, path in paths.items():
        timings = []
        rows = queries = 0
        for _ in range(args.repeat):
            reset_queries()
            with CaptureQueriesContext(connection) as captured:
                began = time.perf_counter()
                response = client.get(path, HTTP_HOST=HOST, HTTP_AUTHORIZATION=f"Bearer {token}")
                timings.append((time.perf_counter() - began) * 1000)
            if response.status_code != 200:
                raise SystemExit(f"{path} answered {response.status_code}: {response.content[:200]!r}")
            queries = len(captured)
            rows = int(response.get("X-Total-Count", 0)) if name != "bulk_zip" else len(response.content)
        median = statistics.median(timings)
        summary[f"{name}_ms"] = round(median, 1)
        if name == "bulk_zip":
            summary["zip_bytes"] = rows
        print(f"{name:<24} {median:>10.1f} {rows:>8} {queries:>8}", flush=True)
    summary.update({"learners": args.learners, "offerings": args.offerings, "seats": args.seats})
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())

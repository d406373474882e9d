"""Where one enrollment request's time goes, next to the trivial authenticated POST's.

    .venv/bin/python -m bench.profile_enroll [--requests 300] [--waiting 4500] [--cprofile N]

In one process (no server, no concurrency), through Django's full request handling (the test
client on the bench settings: every middleware, DRF, the session, the tenant lookup), on the
flash-sale benchmark's database (BENCH_ENROLL_DATABASE_URL, as bench/flash_sale.py; run that once
first). It adds a full offering of 1 seat whose wait-list already holds --waiting entries, and
--requests fresh learners with sessions, then sends each learner's trivial POST and enrollment,
and prints per request: wall time, the number of SQL statements and their time (the database's
side, measured from Python), and the rest (Python). With --cprofile N it prints the N costliest
functions of the enrollment requests. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

from bench.flash_sale import HOST, TENANT_SLUG, _env


def _setup(args: argparse.Namespace) -> dict[str, Any]:
    os.environ.update(_env())
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from datetime import timedelta

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.db import connection
    from django.utils import timezone

    from catalog.models import Offering
    from identity.models import User
    from tenants.models import Tenant

    tenant = Tenant.objects.get(slug=TENANT_SLUG)
    template = Offering.objects.filter(tenant=tenant).order_by("pk").first()
    if template is None:
        raise SystemExit("Run `python -m bench.flash_sale` once first: it seeds the database.")
    now = timezone.now()
    stamp = time.time_ns()
    template.pk = None
    template.id = None
    template.capacity = 1  # full: every learner joins the wait-list
    template.seats_taken = 1
    template.cohort_label = f"Profile {stamp}"
    template.save()
    offering = template
    total = args.waiting + args.requests
    emails = [f"profile-{stamp}-{i}@bench.test" for i in range(total)]
    User.objects.bulk_create([User(email=e, password="!") for e in emails])  # noqa: S106 - unusable
    users = list(User.objects.filter(email__in=emails).order_by("pk"))
    waiting, fresh = users[: args.waiting], users[args.waiting :]
    with connection.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO enrollment_enrollment (tenant_id, offering_id, learner_id, status, created_at, "
            "updated_at) VALUES (%s, %s, %s, 'waitlisted', now(), now())",
            [(tenant.pk, offering.pk, u.pk) for u in waiting],
        )
        cursor.execute("ANALYZE enrollment_enrollment")
    sessions = []
    for user in fresh:
        store = SessionStore()
        store.update(
            {
                SESSION_KEY: str(user.pk),
                BACKEND_SESSION_KEY: settings.AUTHENTICATION_BACKENDS[0],
                HASH_SESSION_KEY: user.get_session_auth_hash(),
            }
        )
        store.set_expiry(now + timedelta(hours=2))
        store.create()
        sessions.append(store.session_key)
    Session.objects.filter(expire_date__lt=now).delete()
    return {"offering": offering.pk, "sessions": sessions, "users": [u.pk for u in fresh]}


LAST_SQL: list[tuple[float, str]] = []


def _measure(send: Callable[[], Any]) -> tuple[float, int, float]:
    """Wall ms, statements, their ms."""
    from django.db import connection

    timings: list[float] = []
    LAST_SQL.clear()

    def timed(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            timings.append(time.perf_counter() - started)
            LAST_SQL.append((timings[-1] * 1000, sql))

    started = time.perf_counter()
    with connection.execute_wrapper(timed):
        send()
    wall = time.perf_counter() - started
    return wall * 1000, len(timings), sum(timings) * 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--waiting", type=int, default=4500)
    parser.add_argument("--cprofile", type=int, default=0, help="print the N costliest functions")
    parser.add_argument("--sql", action="store_true", help="print the statements of the last requests")
    args = parser.parse_args(argv)
    seeded = _setup(args)

    from django.conf import settings
    from django.test import Client

    client = Client(HTTP_HOST=HOST, enforce_csrf_checks=True)
    csrf = "a" * 32
    results: dict[str, list[tuple[float, int, float]]] = {"trivial": [], "enroll": []}
    profiler = cProfile.Profile()

    def post(path: str, session: str, key: str, profile: bool) -> Callable[[], Any]:
        def send() -> Any:
            client.cookies.clear()
            client.cookies[settings.SESSION_COOKIE_NAME] = session
            client.cookies[settings.CSRF_COOKIE_NAME] = csrf
            body = json.dumps({"offering": seeded["offering"]})

            def call() -> Any:
                return client.post(
                    path,
                    body,
                    content_type="application/json",
                    HTTP_X_CSRFTOKEN=csrf,
                    HTTP_IDEMPOTENCY_KEY=key,
                )

            answer = profiler.runcall(call) if profile else call()
            if answer.status_code != 201:
                raise SystemExit(f"{path}: {answer.status_code} {answer.content[:300]!r}")
            return answer

        return send

    warm = 20
    for i, (session, user) in enumerate(zip(seeded["sessions"], seeded["users"], strict=True)):
        trivial = _measure(post("/bench/trivial-post/", session, f"t-{user}", False))
        enroll = _measure(
            post("/api/v1/enrollments/", session, f"e-{user}", bool(args.cprofile) and i >= warm)
        )
        if i >= warm:
            results["trivial"].append(trivial)
            results["enroll"].append(enroll)
    if args.sql:
        print("The last enrollment's statements:")
        for ms, statement in LAST_SQL:
            print(f"  {ms:6.2f} ms  {statement[:160]}")

    summary: dict[str, Any] = {}
    print(f"{'request':<10} {'wall ms':>8} {'SQL n':>6} {'SQL ms':>7} {'Python ms':>10}   (medians)")
    for name, rows in results.items():
        wall = statistics.median(r[0] for r in rows)
        count = statistics.median(r[1] for r in rows)
        sql = statistics.median(r[2] for r in rows)
        python = statistics.median(r[0] - r[2] for r in rows)
        print(f"{name:<10} {wall:>8.2f} {count:>6.0f} {sql:>7.2f} {python:>10.2f}")
        summary[name] = {
            "wall_ms": round(wall, 2),
            "sql": count,
            "sql_ms": round(sql, 2),
            "python_ms": round(python, 2),
        }
    if args.cprofile:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(args.cprofile)
        print(out.getvalue())
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(args.cprofile)
        print(out.getvalue())
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())

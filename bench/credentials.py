"""A term's end: completions of one cohort-heavy term issued as credentials through the real job path.

    .venv/bin/python -m bench.credentials [--learners 10000] [--quick] [--workers 4] [--recorders 2]
                                          [--clients 32] [--verify-seconds 10] [--web-workers 4]
    .venv/bin/python -m bench.credentials profile [--count 300]    # where one credential's time goes

Database `microcred_bench_cred` on 127.0.0.1 (BENCH_CRED_DATABASE_URL overrides), migrated and
seeded by this script; an emptied Redis db claimed like `make run`'s (BENCH_CRED_REDIS_URL
overrides). The seed: one tenant, three units, four microcredentials, one term of --learners
confirmed enrollments in cohorts of 25 (400 offerings for 10,000), and one learner with 40
earlier credentials (for the learner record).

1. Issuing. Real Celery workers (`celery -A microcred worker --concurrency --workers -Q celery`:
   no CELERY_TASK_ROUTES, so `credentials.issue` and `credentials.send_message` go to the default
   queue) run beside --recorders processes that record the term's completions through the real
   service (`enrollment.services.completion_many.completions_apply`, one offering's file at a time, as
   staff's CSV upload does); its listener sends one `credentials.issue` job per completion after
   each file's commit. A job takes a status index, signs (eddsa-rdfc-2022), stores the Credential,
   its event and the CredentialMessage whose `credentials.send_message` job renders and "sends"
   the e-mail (Django's dummy backend: rendered, not sent anywhere). issue_s runs from the first
   completion to the last Credential and CredentialMessage row written (their own timestamps).
   Peak RSS (VmHWM) of the worker processes is read once 1,000 are issued and again at the end.
2. The same machine's raw Ed25519 sign rate (cryptography, one process) over a message the size
   of a credential's canonical N-Quads, and credentials/s against it (all workers, per worker, per
   core).
3. The public verifier, POST /api/v1/credentials/verify (the credential JSON as the body), under
   gunicorn (sync workers, production settings) with --clients concurrent connections (threads in
   two processes, closed loop) over 200 different issued credentials: p50, p99; every answer must
   say ok.
4. The learner record (CLR 2.0) of the learner with 40 achievements:
   `credentials.services.record.clr_build`, median of 9 builds after one warm-up with a dummy
   cache (what a new version of the record costs: read, build, sign), and again served from the
   cache; null, with the reason, when that module is not there.

Targets: 10,000 issued in < 60 s; verification p99 < 100 ms; CLR < 300 ms; peak memory after
1,000 ≈ after 10,000. The last line is one JSON object. Not part of `make test`.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from bench.server import start_server, stop_server
from devtools.services import bench_redis_url

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
HOST = "cred.localhost"
TENANT_SLUG = "cred-bench"
COHORT = 25
CLR_ACHIEVEMENTS = 40
UNUSABLE = "!"  # Django's mark for "no password"
TERM_TITLES = [
    ("continuing-ed", "Applied Data Analysis Certificate", "SQL, pandas, statistics"),
    ("continuing-ed", "Project Management Essentials", "planning, risk, communication"),
    ("business", "Financial Modelling Bootcamp", "Excel, forecasting, valuation"),
    ("nursing", "Wound Care Foundations", "assessment, dressing, infection control"),
]
UNITS = [
    ("continuing-ed", "Continuing Education", "ce@cred.localhost"),
    ("business", "School of Business", "business@cred.localhost"),
    ("nursing", "School of Nursing", "nursing@cred.localhost"),
]


def _env() -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DATABASE_URL": os.environ.get(
            "BENCH_CRED_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/microcred_bench_cred"
        ),
        "REDIS_URL": os.environ.get("BENCH_CRED_REDIS_URL") or bench_redis_url("credentials"),
        "DJANGO_SECRET_KEY": "bench-only-not-a-secret-0123456789-abcdefghijklmnopqrstuvwxyz",
        "DJANGO_DEBUG": "0",
        "DJANGO_HTTPS": "0",
        "DJANGO_ALLOWED_HOSTS": f"{HOST},127.0.0.1,localhost",
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
        # Mail is rendered in the unit's brand and handed to a backend that keeps nothing (locmem
        # would keep every message in the worker's memory, and "memory flat" would measure that).
        "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
        "EMAIL_DELIVERY_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
    }


# --- Seeding (a Django process: python -m bench.credentials seed ...) -------------------------


def seed(learners: int) -> dict[str, Any]:
    """The term (`learners` confirmed enrollments in cohorts of COHORT) and the CLR learner with
    CLR_ACHIEVEMENTS credentials, issued through the real path (the listener's jobs run eagerly
    here). Every enrollment and credential table starts empty."""
    import django

    django.setup()
    from datetime import timedelta
    from decimal import Decimal

    from celery import current_app
    from django.db import connection, transaction
    from django.utils import timezone

    from catalog.models import DeliveryMode, Microcredential, Offering, PublicationStatus
    from enrollment.models import CompletionSource
    from enrollment.services.completion_many import Wanted, completions_apply
    from identity.models import User
    from tenants.models import Domain, StaffMembership, StaffRole, Tenant, Unit
    from tenants.selectors import staff_access

    now = timezone.now()
    with transaction.atomic():
        tenant = Tenant.objects.filter(slug=TENANT_SLUG).first()
        if tenant is None:
            tenant = Tenant.objects.create(slug=TENANT_SLUG, name="Credential Bench University")
            Domain.objects.create(tenant=tenant, host=HOST, is_primary=True)
        units = {}
        for slug, name, email in UNITS:
            units[slug], _ = Unit.objects.get_or_create(
                tenant=tenant,
                slug=slug,
                defaults={"name": name, "gl_code": slug.upper(), "contact_email": email},
            )
        admin, _ = User.objects.get_or_create(
            email="registrar@cred.localhost", defaults={"password": UNUSABLE}
        )
        StaffMembership.objects.get_or_create(tenant=tenant, user=admin, role=StaffRole.TENANT_ADMIN)
        with connection.cursor() as cursor:
            # TRUNCATE, not DELETE: events are append-only (triggers). The bench's own database.
            cursor.execute(
                "TRUNCATE credentials_credentialmessage, credentials_credentialevent, "
                "credentials_credential, credentials_statuslist, credentials_issuerkey, "
                "enrollment_completionrecord, "
                "enrollment_enrollmentmessage, enrollment_enrollmentevent, enrollment_enrollment, "
                "enrollment_idempotencyrecord, enrollment_waitlistsettings, enrollment_waitlistcount CASCADE"
            )
        Offering.objects.filter(tenant=tenant).delete()
        Microcredential.parts.through.objects.filter(from_microcredential__tenant=tenant).delete()
        Microcredential.objects.filter(tenant=tenant).delete()

        def course(unit: Unit, title: str, skills: str) -> Microcredential:
            return Microcredential(
                tenant=tenant,
                unit=unit,
                title=title,
                summary="A short, career-focused course with practical projects.",
                description="Twelve weeks of practice with feedback from people who do this work.",
                outcomes="Apply the methods at work\nExplain the results to colleagues\nJudge the evidence",
                skills=skills,
                credit_value=Decimal("1.50"),
                status=PublicationStatus.PUBLISHED,
                published_at=now - timedelta(days=400),
            )

        term_courses = Microcredential.objects.bulk_create(
            [course(units[u], title, skills) for u, title, skills in TERM_TITLES]
        )
        past_courses = Microcredential.objects.bulk_create(
            [
                course(units[UNITS[i % 3][0]], f"Earlier Course {i + 1:02d}", "writing, analysis")
                for i in range(CLR_ACHIEVEMENTS)
            ]
        )

        def offering(mc: Microcredential, label: str, starts: Any, capacity: int) -> Offering:
            return Offering(
                tenant=tenant,
                microcredential=mc,
                cohort_label=label,
                starts_at=starts,
                ends_at=starts + timedelta(days=84),
                time_zone="UTC",
                enrollment_opens_at=starts - timedelta(days=60),
                enrollment_closes_at=starts - timedelta(days=1),
                delivery_mode=DeliveryMode.ONLINE,
                capacity=capacity,
                seats_taken=capacity,
                price_minor=0,
                currency="USD",
                status=PublicationStatus.PUBLISHED,
                published_at=starts - timedelta(days=90),
            )

        cohorts = (learners + COHORT - 1) // COHORT
        term_start = now - timedelta(days=85)
        term = Offering.objects.bulk_create(
            [
                offering(term_courses[i % len(term_courses)], f"Cohort {i + 1}", term_start, COHORT)
                for i in range(cohorts)
            ],
            batch_size=1000,
        )
        past = Offering.objects.bulk_create(
            [
                offering(mc, "Earlier term", now - timedelta(days=700 - 10 * i), 30)
                for i, mc in enumerate(past_courses)
            ]
        )

        emails = [f"cred-learner-{i}@bench.test" for i in range(learners)]
        existing = set(User.objects.filter(email__in=emails).values_list("email", flat=True))
        User.objects.bulk_create(
            [
                User(email=e, password=UNUSABLE, full_name=f"Learner {i}")
                for i, e in enumerate(emails)
                if e not in existing
            ],
            batch_size=2000,
        )
        ids = dict(User.objects.filter(email__in=emails).values_list("email", "pk"))
        clr_learner, _ = User.objects.get_or_create(
            email="clr-learner@bench.test", defaults={"password": UNUSABLE, "full_name": "Rec Ord"}
        )
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO enrollment_enrollment (tenant_id, offering_id, learner_id, status, created_at, "
                "updated_at) SELECT %s, o, l, 'confirmed', %s, %s "
                "FROM unnest(%s::bigint[], %s::bigint[]) AS t(o, l)",
                [
                    tenant.pk,
                    now,
                    now,
                    [term[i // COHORT].pk for i in range(learners)],
                    [ids[e] for e in emails],
                ],
            )
            cursor.execute(
                "INSERT INTO enrollment_enrollment (tenant_id, offering_id, learner_id, status, created_at, "
                "updated_at) SELECT %s, o, %s, 'confirmed', %s, %s FROM unnest(%s::bigint[]) AS o",
                [tenant.pk, clr_learner.pk, now, now, [o.pk for o in past]],
            )
            cursor.execute(
                "INSERT INTO enrollment_enrollmentevent "
                "(tenant_id, enrollment_id, actor_id, action, from_status, to_status, reason, details, at) "
                "SELECT tenant_id, id, learner_id, 'enrolled', '', 'confirmed', '', '{}', created_at "
                "FROM enrollment_enrollment WHERE tenant_id = %s",
                [tenant.pk],
            )

    # The CLR learner's 40 earlier completions, recorded and issued through the real path
    # (eagerly here: the workers are not running yet).
    current_app.conf.task_always_eager = True
    access = staff_access(tenant=tenant, user=admin)
    for o in past:
        enrollment_id = o.enrollments.get().pk
        completions_apply(
            tenant=tenant,
            access=access,
            actor=admin,
            offering_id=o.pk,
            wanted=[
                Wanted(enrollment_id=enrollment_id, result="A", on=(o.ends_at - timedelta(days=1)).date())
            ],
            source=CompletionSource.CSV,
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    from credentials.models import Credential

    return {
        "tenant": tenant.pk,
        "term_offerings": [o.pk for o in term],
        "term_microcredentials": [mc.pk for mc in term_courses],
        "clr_learner": clr_learner.pk,
        "clr_credentials": Credential.objects.filter(learner=clr_learner).count(),
    }


# --- Recording the term's completions (a Django process: ... record ...) -----------------------


def record(offerings: list[int], start_at: float, out: str) -> None:
    """Each offering's completions as one file (completions_apply, good rows), as the registrar
    uploads them at the term's end. Waits until `start_at` (time.time()) so recorders start
    together; writes when its first and last file were saved."""
    import django

    django.setup()
    from datetime import timedelta

    from django.utils import timezone

    from enrollment.models import CompletionSource, Enrollment
    from enrollment.services.completion import GOOD_ROWS
    from enrollment.services.completion_many import Wanted, completions_apply
    from identity.models import User
    from tenants.models import Tenant
    from tenants.selectors import staff_access

    tenant = Tenant.objects.get(slug=TENANT_SLUG)
    admin = User.objects.get(email="registrar@cred.localhost")
    access = staff_access(tenant=tenant, user=admin)
    files = {
        o: list(Enrollment.objects.filter(offering_id=o).values_list("pk", flat=True)) for o in offerings
    }
    on = (timezone.now() - timedelta(days=1)).date()
    while time.time() < start_at:
        time.sleep(0.001)
    first = time.time()
    saved = 0
    for offering_id, enrollment_ids in files.items():
        report = completions_apply(
            tenant=tenant,
            access=access,
            actor=admin,
            offering_id=offering_id,
            wanted=[Wanted(enrollment_id=e, result="Pass", on=on) for e in enrollment_ids],
            mode=GOOD_ROWS,
            source=CompletionSource.CSV,
        )
        saved += len(report.saved)
        if report.refused:
            raise SystemExit(f"offering {offering_id}: {report.refused[0].message}")
    with open(out, "w") as f:
        json.dump({"first": first, "last": time.time(), "saved": saved}, f)


# --- The learner record (a Django process: ... clr ...) ----------------------------------------


def clr(learner_id: int, out: str) -> None:
    import django

    django.setup()
    result: dict[str, Any] = {"clr_ms": None}
    try:
        from credentials.services.record import clr_build
    except ImportError as exc:
        result["reason"] = f"credentials.services.record.clr_build is not on this branch ({exc})"
    else:
        from identity.models import User
        from tenants.models import Tenant

        tenant = Tenant.objects.get(slug=TENANT_SLUG)
        learner = User.objects.get(pk=learner_id)
        from django.test import override_settings

        def timed_builds() -> tuple[list[float], dict[str, Any]]:
            built = clr_build(tenant=tenant, learner=learner)  # warm-up: imports, contexts, key
            times = []
            for _ in range(9):
                started = time.perf_counter()
                built = clr_build(tenant=tenant, learner=learner)
                times.append((time.perf_counter() - started) * 1000)
            return times, built

        # The signed record is kept in the cache per version; a build is what a new version (a
        # new credential, a revocation…) costs, so the cache is a dummy one for clr_ms.
        dummy = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
        with override_settings(CACHES=dummy):
            times, built = timed_builds()
        cached, _ = timed_builds()
        result.update(
            clr_ms=round(statistics.median(times), 1),
            clr_min_ms=round(min(times), 1),
            clr_max_ms=round(max(times), 1),
            clr_cached_ms=round(statistics.median(cached), 1),
            clr_bytes=len(json.dumps(built)),
            clr_achievements=_count_achievements(built),
        )
    with open(out, "w") as f:
        json.dump(result, f)


def _count_achievements(document: Any) -> int | None:
    """How many credentials or achievements the record carries, where CLR 2.0 puts them."""
    subject = document.get("credentialSubject") if isinstance(document, dict) else None
    if isinstance(subject, dict):
        for key in ("verifiableCredential", "achievement"):
            if isinstance(subject.get(key), list):
                return len(subject[key])
    return None


# --- Celery workers ------------------------------------------------------------------------------


def start_workers(env: dict[str, str], concurrency: int) -> subprocess.Popen[bytes]:
    command = [
        str(BIN / "celery"),
        "-A",
        "microcred",
        "worker",
        "--loglevel",
        "WARNING",
        "--concurrency",
        str(concurrency),
        "-Q",
        "celery",
        "--without-gossip",
        "--without-mingle",
        "-n",
        f"credbench-{os.getpid()}@%h",
    ]
    worker = subprocess.Popen(command, env=env, cwd=ROOT, start_new_session=True)
    # Ready once a ping round trip (broker → worker → result) answers.
    ping = subprocess.run(
        [sys.executable, "-c", PING],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    if ping.returncode != 0 or worker.poll() is not None:
        stop_workers(worker)
        raise SystemExit(f"the Celery worker did not answer: {ping.stderr[-2000:]}")
    return worker


PING = """
import django; django.setup()
from microcred.celery import ping
print(ping.apply_async().get(timeout=120))
"""


def stop_workers(worker: subprocess.Popen[bytes]) -> None:
    if worker.poll() is None:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()


def _children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _status_kb(pid: int, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def worker_memory(worker: subprocess.Popen[bytes]) -> dict[str, float]:
    """The pool processes' (the ones that run the jobs) peak and current RSS, in MB."""
    pool = _children(worker.pid)
    peaks = [_status_kb(p, "VmHWM") / 1024 for p in pool]
    now = [_status_kb(p, "VmRSS") / 1024 for p in pool]
    return {
        "processes": len(pool),
        "peak_max_mb": round(max(peaks, default=0), 1),
        "rss_max_mb": round(max(now, default=0), 1),
        "rss_sum_mb": round(sum(now), 1),
        "parent_rss_mb": round(_status_kb(worker.pid, "VmRSS") / 1024, 1),
    }


# --- Database checks (psycopg2, from here) ------------------------------------------------------


def _connect(env: dict[str, str]) -> Any:
    from bench.flash_sale import _connect as connect

    return connect(env)


def counts(cur: Any, microcredentials: list[int]) -> tuple[int, int, int]:
    cur.execute(
        "SELECT count(*), count(m.id), count(m.sent_at) FROM credentials_credential c "
        "LEFT JOIN credentials_credentialmessage m ON m.credential_id = c.id "
        "WHERE c.microcredential_id = ANY(%s)",
        [microcredentials],
    )
    issued, messages, sent = cur.fetchone()
    return int(issued), int(messages), int(sent)


def last_rows(cur: Any, microcredentials: list[int]) -> tuple[float, float, float]:
    cur.execute(
        "SELECT extract(epoch FROM max(c.issued_at)), extract(epoch FROM max(m.created_at)), "
        "extract(epoch FROM max(m.sent_at)) FROM credentials_credential c "
        "JOIN credentials_credentialmessage m ON m.credential_id = c.id WHERE c.microcredential_id = ANY(%s)",
        [microcredentials],
    )
    a, b, c = cur.fetchone()
    return float(a), float(b), float(c or 0)


# --- Issuing: recorders + workers ---------------------------------------------------------------


def issue_term(env: dict[str, str], seeded: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    offerings: list[int] = seeded["term_offerings"]
    microcredentials: list[int] = seeded["term_microcredentials"]
    expected = args.learners
    mark = 1000 if expected >= 2000 else max(1, expected // 10)
    worker = start_workers(env, args.workers)
    try:
        idle = worker_memory(worker)
        print(
            f"Celery: {idle['processes']} pool processes (--concurrency {args.workers}), idle RSS "
            f"{idle['rss_max_mb']} MB each at most; {args.recorders} recorder process(es); "
            f"load average {os.getloadavg()[0]:.2f}",
            flush=True,
        )
        start_at = time.time() + 3.0
        outs = [tempfile.mkstemp(suffix=".json")[1] for _ in range(args.recorders)]
        recorders = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "bench.credentials",
                    "record",
                    "--offerings",
                    ",".join(str(o) for o in offerings[i :: args.recorders]),
                    "--start-at",
                    repr(start_at),
                    "--out",
                    outs[i],
                ],
                env=env,
                cwd=ROOT,
            )
            for i in range(args.recorders)
        ]
        conn = _connect(env)
        conn.autocommit = True
        at_mark: dict[str, Any] | None = None
        deadline = start_at + args.timeout
        issued = messages = sent = 0
        with conn.cursor() as cur:
            while time.time() < deadline:
                time.sleep(0.25)
                issued, messages, sent = counts(cur, microcredentials)
                if at_mark is None and issued >= mark:
                    at_mark = {
                        "issued": issued,
                        "seconds": round(time.time() - start_at, 1),
                        **worker_memory(worker),
                    }
                    print(
                        f"  {issued:,} issued after {at_mark['seconds']} s; worker peak RSS "
                        f"{at_mark['peak_max_mb']} MB",
                        flush=True,
                    )
                if issued >= expected and messages >= expected:
                    break
            at_end = {"issued": issued, "seconds": round(time.time() - start_at, 1), **worker_memory(worker)}
            load_during = os.getloadavg()[0]
            for r in recorders:
                r.wait()
            recorded = [json.loads(Path(o).read_text()) for o in outs]
            for o in outs:
                os.unlink(o)
            first = min(r["first"] for r in recorded)
            recorded_last = max(r["last"] for r in recorded)
            # The e-mails (send_message jobs) finish behind the issuing; wait for them too.
            mail_deadline = time.time() + 120
            while sent < messages and time.time() < mail_deadline:
                time.sleep(0.25)
                issued, messages, sent = counts(cur, microcredentials)
            last_credential, last_message, last_sent = last_rows(cur, microcredentials)
            end_memory = worker_memory(worker)
        conn.close()
    finally:
        stop_workers(worker)
    issue_s = max(last_credential, last_message) - first
    return {
        "issued": issued,
        "messages": messages,
        "sent": sent,
        "issue_s": round(issue_s, 2),
        "record_s": round(recorded_last - first, 2),
        # Only when every e-mail went out before the bench stopped waiting (120 s after issuing).
        "mail_s": round(last_sent - first, 2) if last_sent and sent >= messages else None,
        "credentials_per_s": round(issued / issue_s, 1) if issue_s > 0 else 0.0,
        "at_mark": at_mark,
        "at_end": at_end,
        "after_mail": end_memory,
        "load_during": round(load_during, 2),
    }


# --- Raw Ed25519 ------------------------------------------------------------------------------


def ed25519_rate(env: dict[str, str], seconds: float = 2.0) -> tuple[float, int]:
    """Raw signs/second over a message the size of one issued credential's canonical N-Quads."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from credentials.services import proof

    conn = _connect(env)
    with conn.cursor() as cur:
        cur.execute("SELECT document FROM credentials_credential ORDER BY id DESC LIMIT 1")
        (document,) = cur.fetchone()
    conn.close()
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    size = len(proof.canonicalize(unsecured).encode())
    message = secrets.token_bytes(size)
    key = Ed25519PrivateKey.generate()
    for _ in range(200):
        key.sign(message)
    n = 0
    started = time.perf_counter()
    while (elapsed := time.perf_counter() - started) < seconds:
        for _ in range(500):
            key.sign(message)
        n += 500
    return n / elapsed, size


# --- The verifier under load -------------------------------------------------------------------


def _verify_client(port: int, bodies: list[bytes], connections: int, stop_at: float, go: float) -> list[Any]:
    lock = threading.Lock()
    done: list[tuple[float, float, int, bool]] = []

    def worker(i: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine = []
        n = i
        while time.monotonic() < stop_at:
            body = bodies[n % len(bodies)]
            n += connections
            started = time.monotonic()
            ok = False
            try:
                connection.request(
                    "POST",
                    "/api/v1/credentials/verify",
                    body=body,
                    headers={"Host": HOST, "Content-Type": "application/json"},
                )
                answer = connection.getresponse()
                data = answer.read()
                status = answer.status
                ok = status == 200 and json.loads(data).get("ok") is True
                if answer.will_close:
                    connection.close()
            except (OSError, http.client.HTTPException, ValueError):
                status = 0
                connection.close()
            mine.append((started, time.monotonic(), status, ok))
        with lock:
            done.extend(mine)

    while time.monotonic() < go:
        time.sleep(0.001)
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return done


def verify_load(
    port: int, bodies: list[bytes], connections: int, seconds: float, processes: int = 2
) -> dict[str, Any]:
    go = time.monotonic() + 1.0
    stop_at = go + seconds
    per = [connections // processes + (1 if i < connections % processes else 0) for i in range(processes)]
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        parts = pool.starmap(
            _verify_client, [(port, bodies[i::processes], per[i], stop_at, go) for i in range(processes)]
        )
    sent = [s for part in parts for s in part]
    latencies = sorted((f - s) * 1000 for s, f, _st, _ok in sent)
    wall = max(f for _s, f, _st, _ok in sent) - min(s for s, _f, _st, _ok in sent)
    return {
        "requests": len(sent),
        "rps": round(len(sent) / wall, 1),
        "p50_ms": round(statistics.median(latencies), 1),
        "p99_ms": round(latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))], 1),
        "not_ok": sum(1 for *_x, ok in sent if not ok),
    }


def verify_bench(env: dict[str, str], args: argparse.Namespace) -> dict[str, Any]:
    conn = _connect(env)
    with conn.cursor() as cur:
        cur.execute("SELECT document::text FROM credentials_credential ORDER BY random() LIMIT 200")
        bodies = [row[0].encode() for row in cur.fetchall()]
    conn.close()
    server = start_server(env, args.port, args.web_workers, host=HOST)
    try:
        verify_load(args.port, bodies, args.clients, 2.0)  # warm-up: every gunicorn worker
        print(f"  verify: load average before {os.getloadavg()[0]:.2f}", flush=True)
        result = verify_load(args.port, bodies, args.clients, args.verify_seconds)
        result["load_after"] = round(os.getloadavg()[0], 2)
    finally:
        stop_server(server)
    return result


# --- Profile: one process, jobs run eagerly, cProfile and SQL time ------------------------------


def profile(count: int) -> None:
    """Record `count` completions and issue their credentials in this process (the listener's
    jobs run eagerly, e-mail rendering included) under cProfile, and say where the time went."""
    import cProfile
    import pstats
    from datetime import timedelta

    import django

    django.setup()
    from celery import current_app
    from django.db import connection
    from django.utils import timezone

    from enrollment.models import CompletionSource, Enrollment
    from enrollment.services.completion import GOOD_ROWS
    from enrollment.services.completion_many import Wanted, completions_apply
    from identity.models import User
    from tenants.models import Tenant
    from tenants.selectors import staff_access

    seeded = seed(count)
    current_app.conf.task_always_eager = True
    tenant = Tenant.objects.get(slug=TENANT_SLUG)
    admin = User.objects.get(email="registrar@cred.localhost")
    access = staff_access(tenant=tenant, user=admin)
    on = (timezone.now() - timedelta(days=1)).date()
    files = {
        o: list(Enrollment.objects.filter(offering_id=o).values_list("pk", flat=True))
        for o in seeded["term_offerings"]
    }
    sql: dict[str, Any] = {"n": 0, "s": 0.0}
    by_statement: dict[str, list[float]] = {}

    def timed(execute: Any, query: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(query, params, many, context)
        finally:
            spent = time.perf_counter() - started
            sql["n"] += 1
            sql["s"] += spent
            shape = by_statement.setdefault(" ".join(query.split())[:150], [0, 0.0])
            shape[0] += 1
            shape[1] += spent

    profiler = cProfile.Profile()
    started = time.perf_counter()
    with connection.execute_wrapper(timed):
        profiler.enable()
        for offering_id, ids in files.items():
            completions_apply(
                tenant=tenant,
                access=access,
                actor=admin,
                offering_id=offering_id,
                wanted=[Wanted(enrollment_id=e, result="Pass", on=on) for e in ids],
                mode=GOOD_ROWS,
                source=CompletionSource.CSV,
            )
        profiler.disable()
    total = time.perf_counter() - started
    stats = pstats.Stats(profiler)
    per = 1000 / count

    def cum(fragment: str, name: str) -> float:
        return sum(v[3] for k, v in stats.stats.items() if fragment in k[0] and k[2] == name)  # type: ignore[attr-defined]

    rows = [
        ("completion recorded + credential issued + e-mail rendered (all)", total),
        (
            "  credentials.issue_many jobs (credentials_issue_batch)",
            cum("credentials/services/issue_batch.py", "credentials_issue_batch"),
        ),
        ("    signing (_sign_all: build, canonicalize, sign)", cum("services/issue_batch.py", "_sign_all")),
        (
            "      canonicalize in full (a template's first document)",
            cum("credentials/services/proof.py", "canonicalize"),
        ),
        ("      Template.nquads (RDFC-1.0 on the template's dataset)", cum("proof.py", "nquads")),
        ("    storing (_store: lock, re-check, bulk_create)", cum("services/issue_batch.py", "_store")),
        (
            "  send_messages jobs (render + hand over the e-mails)",
            cum("credentials/services/messages.py", "messages_send"),
        ),
        (f"  SQL ({sql['n'] / count:.1f} statements per credential)", sql["s"]),
    ]
    print(f"\n{count} credentials in one process, {total:.1f} s ({count / total:.1f}/s); per credential:")
    for label, seconds in rows:
        print(f"  {label:<70} {seconds * per:7.2f} ms")
    print("\nSQL statements per credential (count, ms):")
    for shape, (n, spent) in sorted(by_statement.items(), key=lambda kv: -kv[1][0])[:40]:
        print(f"  {n / count:5.2f} {spent * per:6.2f}  {shape}")
    stats.sort_stats("cumulative").print_callees("services/issue_batch.py:.*credentials_issue_batch")
    stats.sort_stats("cumulative").print_stats(25)


# --- Main ----------------------------------------------------------------------------------------


def prepare_database(env: dict[str, str]) -> None:
    from devtools.services import ensure_database

    ensure_database(env["DATABASE_URL"])
    subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "migrate", "--noinput", "-v", "0"],
        env=env,
        cwd=ROOT,
        check=True,
    )


def prepare(env: dict[str, str], learners: int) -> dict[str, Any]:
    prepare_database(env)
    with tempfile.NamedTemporaryFile("r", suffix=".json") as out:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "bench.credentials",
                "seed",
                "--learners",
                str(learners),
                "--out",
                out.name,
            ],
            env=env,
            cwd=ROOT,
            check=True,
        )
        seeded: dict[str, Any] = json.load(open(out.name))  # noqa: SIM115 - the temp file closes it
    return seeded


def run(args: argparse.Namespace) -> int:
    # A SIGTERM (`timeout`, kill) ends this by SystemExit, so the workers and server stop too.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    env = _env()
    cpus = os.cpu_count() or 1
    print(
        f"Preparing {env['DATABASE_URL']} (migrate; {args.learners:,} confirmed enrollments in "
        f"{(args.learners + COHORT - 1) // COHORT} cohorts; the CLR learner's {CLR_ACHIEVEMENTS} "
        "credentials)…",
        flush=True,
    )
    seeded = prepare(env, args.learners)
    print(f"CPUs: {cpus}; load average before: {os.getloadavg()[0]:.2f}", flush=True)

    print("Issuing the term's credentials…", flush=True)
    issued = issue_term(env, seeded, args)
    sign_rate, size = ed25519_rate(env)
    per_s = issued["credentials_per_s"]
    ratio = per_s / sign_rate if sign_rate else 0.0
    per_worker = per_s / args.workers / sign_rate if sign_rate else 0.0
    per_core = per_s / min(args.workers, cpus) / sign_rate if sign_rate else 0.0
    print(
        f"issued {issued['issued']:,} (messages {issued['messages']:,}, sent {issued['sent']:,}) in "
        f"{issued['issue_s']} s: {per_s}/s with {args.workers} worker processes on {cpus} CPUs "
        f"(completions recorded in {issued['record_s']} s; "
        + (
            f"e-mails all sent after {issued['mail_s']} s; "
            if issued["mail_s"] is not None
            else f"{issued['sent']:,} e-mails sent when the bench stopped waiting; "
        )
        + f"load average {issued['load_during']})",
        flush=True,
    )
    print(
        f"raw Ed25519 ({size:,}-byte message, one process): {sign_rate:,.0f} signs/s; credentials/s ÷ "
        f"that: {ratio:.4f} (all workers), {per_worker:.4f} per worker, {per_core:.4f} per core used",
        flush=True,
    )

    print("Verifying under load…", flush=True)
    verified = verify_bench(env, args)
    print(
        f"verify: {args.clients} clients, {verified['requests']:,} requests, {verified['rps']}/s, p50 "
        f"{verified['p50_ms']} ms, p99 {verified['p99_ms']} ms, not ok {verified['not_ok']} "
        f"(gunicorn {args.web_workers} sync workers; load average after {verified['load_after']})",
        flush=True,
    )

    with tempfile.NamedTemporaryFile("r", suffix=".json") as out:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "bench.credentials",
                "clr",
                "--learner",
                str(seeded["clr_learner"]),
                "--out",
                out.name,
            ],
            env=env,
            cwd=ROOT,
            check=True,
        )
        record_result: dict[str, Any] = json.load(open(out.name))  # noqa: SIM115
    if record_result["clr_ms"] is None:
        print(f"clr_ms: null ({record_result['reason']})", flush=True)
    else:
        r = record_result
        print(
            f"CLR of a learner with {seeded['clr_credentials']} credentials: median {r['clr_ms']} ms "
            f"(min {r['clr_min_ms']}, max {r['clr_max_ms']}; {r['clr_bytes']:,} bytes, "
            f"{r['clr_achievements']} achievements found in it); from the cache {r['clr_cached_ms']} ms",
            flush=True,
        )

    mark, end = issued["at_mark"] or {}, issued["at_end"]
    print(
        f"worker peak RSS: {mark.get('peak_max_mb')} MB after {mark.get('issued')} issued, "
        f"{end['peak_max_mb']} MB after {end['issued']} (largest pool process)",
        flush=True,
    )
    summary: dict[str, Any] = {
        "issued": issued["issued"],
        "issue_s": issued["issue_s"],
        "credentials_per_s": per_s,
        "workers": args.workers,
        "cpus": cpus,
        "ed25519_sign_per_s": round(sign_rate),
        "ratio_sign": round(ratio, 5),
        "ratio_sign_per_worker": round(per_worker, 5),
        "record_s": issued["record_s"],
        "mail_s": issued["mail_s"],
        "verify_rps": verified["rps"],
        "verify_p50_ms": verified["p50_ms"],
        "verify_p99_ms": verified["p99_ms"],
        "verify_not_ok": verified["not_ok"],
        "clr_ms": record_result["clr_ms"],
        "clr_cached_ms": record_result.get("clr_cached_ms"),
        "peak_mb_1k": mark.get("peak_max_mb"),
        "peak_mb_10k": end["peak_max_mb"],
        "peak_at": [mark.get("issued"), end["issued"]],
        "load_issue": issued["load_during"],
    }
    if record_result["clr_ms"] is None:
        summary["clr_reason"] = record_result["reason"]
    targets = [
        (f"{args.learners:,} issued in < 60 s", issued["issue_s"] < 60, f"{issued['issue_s']} s"),
        ("verification p99 < 100 ms", verified["p99_ms"] < 100, f"{verified['p99_ms']} ms"),
        (
            "CLR < 300 ms",
            record_result["clr_ms"] is not None and record_result["clr_ms"] < 300,
            f"{record_result['clr_ms']} ms",
        ),
        (
            "memory flat (peak after 10k within 10 % of after 1k)",
            bool(mark) and end["peak_max_mb"] <= 1.1 * mark["peak_max_mb"],
            f"{mark.get('peak_max_mb')} → {end['peak_max_mb']} MB",
        ),
    ]
    for name, met, figure in targets:
        print(f"Target {name}: {'met' if met else 'NOT met'} ({figure})")
    correct = issued["issued"] == args.learners and verified["not_ok"] == 0
    print(f"Correct (every completion issued once, every verification ok): {'yes' if correct else 'NO'}")
    print(json.dumps(summary))
    return 0 if correct else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command")
    seeder = sub.add_parser("seed", help="(internal) seed the bench database")
    seeder.add_argument("--learners", type=int, required=True)
    seeder.add_argument("--out", required=True)
    recorder = sub.add_parser("record", help="(internal) record completions of some offerings")
    recorder.add_argument("--offerings", required=True)
    recorder.add_argument("--start-at", type=float, required=True)
    recorder.add_argument("--out", required=True)
    clr_parser = sub.add_parser("clr", help="(internal) time clr_build")
    clr_parser.add_argument("--learner", type=int, required=True)
    clr_parser.add_argument("--out", required=True)
    profiler = sub.add_parser("profile", help="where one credential's time goes (one process, eager jobs)")
    profiler.add_argument("--count", type=int, default=300)
    parser.add_argument("--learners", type=int, default=10_000)
    parser.add_argument("--quick", action="store_true", help="2,000 learners, 5 s of verification")
    parser.add_argument("--workers", type=int, default=4, help="Celery pool processes")
    parser.add_argument("--recorders", type=int, default=2, help="processes recording completions")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--web-workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "4")))
    parser.add_argument("--verify-seconds", type=float, default=10.0)
    parser.add_argument("--port", type=int, default=8797)
    parser.add_argument(
        "--timeout", type=float, default=900.0, help="give up issuing after this many seconds"
    )
    args = parser.parse_args(argv)
    if args.command == "seed":
        with open(args.out, "w") as out:
            json.dump(seed(args.learners), out)
        return 0
    if args.command == "record":
        record([int(o) for o in args.offerings.split(",") if o], args.start_at, args.out)
        return 0
    if args.command == "clr":
        clr(args.learner, args.out)
        return 0
    if args.command == "profile":
        env = _env()
        os.environ.update(env)
        prepare_database(env)
        profile(args.count)
        return 0
    if args.quick:
        args.learners = min(args.learners, 2_000)
        args.verify_seconds = min(args.verify_seconds, 5.0)
    return run(args)


if __name__ == "__main__":
    sys.exit(main())

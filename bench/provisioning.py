"""A start of term: free-seat confirmations provisioned into a Moodle (the local double) through
the real job path, and the OIDC token endpoint's throughput.

    .venv/bin/python -m bench.provisioning [--confirmations 2000] [--quick] [--seconds 60]
                                           [--known 0.25] [--workers 8] [--lms-concurrency 16]
                                           [--enrollers 4] [--token-seconds 10] [--clients 16]

Database `microcred_bench_prov` on 127.0.0.1 (BENCH_PROV_DATABASE_URL overrides), migrated and
seeded by this script; an emptied Redis db claimed like `make run`'s (BENCH_PROV_REDIS_URL
overrides). `--quick`: 200 confirmations over 6 s, 5 s of token load.

1. The double: `python -m lms_local --kind moodle --latency-ms 50` (every API call answers after
   50 ms) with 8 courses; the tenant's LMS connection to it saved through
   `access.services.connections.connection_save` (max_concurrency --lms-concurrency). A share
   (--known) of the learners is already known to that LMS: found or created there through the
   real Moodle client before the run, with their LmsAccount (as an earlier offering leaves it).
2. Confirmations: --enrollers processes together create --confirmations free-seat enrollments
   with staff's enrol service (`enrollment_create(by_staff=True)`), paced evenly over --seconds;
   each commit's listener plans the Provision row and sends `access.provision_sync`, which real
   Celery workers (--workers pool processes, default queue) run against the double.
   total_s: first confirmation (its EnrollmentEvent's `at`) to the last `provisioned_at`; lag per
   enrollment: provisioned_at − its confirmation's event `at` (p50, p99, max).
3. LMS calls, from the double's own request counters (before/after, per web-service function).
   A known learner's path makes no user call (its LmsAccount is read), so
   calls_per_known_learner = (course look-ups + enrol calls) / enrollments and
   calls_per_new_learner = that + user calls (find, create) / new learners.
4. The OIDC token endpoint (POST /oidc/token/ at the tenant's host, `grant_type=refresh_token`,
   client_secret_basic of a confidential relying party registered with `relying_party_create`,
   scope "openid email profile", so each answer carries a signed ID token) under gunicorn with
   --clients closed-loop connections, each request its own pre-made refresh token (they
   rotate); against the same server's trivial authenticated POST (/bench/trivial-post/,
   session + CSRF) for as long.

Targets: all provisioned within 90 s of the first confirmation; p99 lag < 30 s; ≤ 2 LMS calls per
new learner, ≤ 1 per known one. The last line is one JSON object. Not part of `make test`.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import multiprocessing
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from bench.credentials import start_workers, stop_workers
from bench.flash_sale import _connect
from bench.server import start_server, stop_server
from devtools.services import bench_redis_url

ROOT = Path(__file__).resolve().parent.parent
HOST = "prov.localhost"
TENANT_SLUG = "prov-bench"
LMS_TOKEN = "bench-moodle-token"  # noqa: S105 - the local double's token
COURSES = 8
UNUSABLE = "!"
USER_CALLS = ("core_user_get_users_by_field", "core_user_create_users")
ENROL_CALLS = ("core_course_get_courses_by_field", "enrol_manual_enrol_users")


def _env() -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DATABASE_URL": os.environ.get(
            "BENCH_PROV_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/microcred_bench_prov"
        ),
        "REDIS_URL": os.environ.get("BENCH_PROV_REDIS_URL") or bench_redis_url("provisioning"),
        "DJANGO_SECRET_KEY": "bench-only-not-a-secret-0123456789-abcdefghijklmnopqrstuvwxyz",
        "DJANGO_DEBUG": "0",
        "DJANGO_HTTPS": "0",
        "DJANGO_ALLOWED_HOSTS": f"{HOST},127.0.0.1,localhost",
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
        "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
        "EMAIL_DELIVERY_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- The LMS double ---------------------------------------------------------------------------


def start_lms(latency_ms: int) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    lms = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "lms_local",
            "--kind",
            "moodle",
            "--port",
            str(port),
            "--token",
            LMS_TOKEN,
            "--latency-ms",
            str(latency_ms),
            "--quiet",
        ],
        cwd=ROOT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    from lms_local.client import ControlClient

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            ControlClient(url, timeout=2).state()
            return lms, url
        except OSError:
            time.sleep(0.2)
    stop_lms(lms)
    raise SystemExit("the LMS double did not answer within 30 s")


def stop_lms(lms: subprocess.Popen[bytes]) -> None:
    if lms.poll() is None:
        os.killpg(lms.pid, signal.SIGTERM)
        try:
            lms.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(lms.pid, signal.SIGKILL)
            lms.wait()


# --- Seeding (a Django process: python -m bench.provisioning seed ...) ------------------------


def seed(confirmations: int, known: float, lms_url: str, course_ids: list[int], args: Any) -> dict[str, Any]:
    """Tenant, unit, staff, one free course with len(course_ids) offerings (one per LMS course,
    seats for all), the LMS connection, `confirmations` learners (a share known to the LMS, with
    their LmsAccount), a relying party with refresh tokens, and sessions for the trivial POST."""
    import django

    django.setup()
    from concurrent.futures import ThreadPoolExecutor
    from datetime import timedelta
    from decimal import Decimal

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.db import connection, transaction
    from django.utils import timezone
    from oauth2_provider.models import AccessToken, RefreshToken

    from access.lms.base import LmsUser
    from access.lms.factory import client_for
    from access.models import LmsAccount, LmsConnection, RelyingParty
    from access.services.claims import subject_for
    from access.services.connections import connection_save
    from access.services.relying_parties import relying_party_create
    from catalog.models import DeliveryMode, Microcredential, Offering, PublicationStatus
    from identity.models import User
    from tenants.models import Domain, StaffMembership, StaffRole, Tenant, Unit
    from tenants.selectors import staff_access

    now = timezone.now()
    with connection.cursor() as cursor:
        # The bench's own database: every run starts from empty enrollment and access tables.
        cursor.execute(
            "TRUNCATE access_provision, access_lmsaccount, access_entitlement, "
            "enrollment_enrollmentmessage, enrollment_enrollmentevent, enrollment_enrollment, "
            "enrollment_idempotencyrecord, oauth2_provider_refreshtoken, oauth2_provider_idtoken, "
            "oauth2_provider_accesstoken, oauth2_provider_grant CASCADE"
        )
    with transaction.atomic():
        tenant = Tenant.objects.filter(slug=TENANT_SLUG).first()
        if tenant is None:
            tenant = Tenant.objects.create(slug=TENANT_SLUG, name="Provisioning Bench University")
            Domain.objects.create(tenant=tenant, host=HOST, is_primary=True)
        unit, _ = Unit.objects.get_or_create(
            tenant=tenant,
            slug="online",
            defaults={"name": "Online Learning", "gl_code": "ONLINE", "contact_email": "ol@prov.localhost"},
        )
        admin, _ = User.objects.get_or_create(
            email="registrar@prov.localhost", defaults={"password": UNUSABLE}
        )
        StaffMembership.objects.get_or_create(tenant=tenant, user=admin, role=StaffRole.TENANT_ADMIN)
        Offering.objects.filter(tenant=tenant).delete()
        Microcredential.objects.filter(tenant=tenant).delete()
        LmsConnection.objects.filter(tenant=tenant).delete()
        for rp in RelyingParty.objects.filter(tenant=tenant).select_related("application"):
            application = rp.application
            rp.delete()
            application.delete()
        mc = Microcredential.objects.create(
            tenant=tenant,
            unit=unit,
            title="Digital Literacy Foundations",
            summary="A short, free, online course.",
            description="Six weeks online.",
            outcomes="Use the tools\nJudge sources",
            skills="search, evaluation",
            credit_value=Decimal("0.50"),
            status=PublicationStatus.PUBLISHED,
            published_at=now - timedelta(days=30),
        )
        per = (confirmations + len(course_ids) - 1) // len(course_ids)
        offerings = Offering.objects.bulk_create(
            [
                Offering(
                    tenant=tenant,
                    microcredential=mc,
                    cohort_label=f"Section {i + 1}",
                    starts_at=now + timedelta(days=7),
                    ends_at=now + timedelta(days=49),
                    time_zone="UTC",
                    enrollment_opens_at=now - timedelta(days=10),
                    enrollment_closes_at=now + timedelta(days=6),
                    delivery_mode=DeliveryMode.ONLINE,
                    capacity=per + 10,
                    seats_taken=0,
                    price_minor=0,
                    currency="USD",
                    status=PublicationStatus.PUBLISHED,
                    published_at=now - timedelta(days=10),
                    lms_course_ref=str(course_id),
                )
                for i, course_id in enumerate(course_ids)
            ]
        )
        emails = [f"prov-learner-{i}@bench.test" for i in range(confirmations)]
        existing = set(User.objects.filter(email__in=emails).values_list("email", flat=True))
        User.objects.bulk_create(
            [
                User(email=e, password=UNUSABLE, full_name=f"Pat Learner{i}")
                for i, e in enumerate(emails)
                if e not in existing
            ],
            batch_size=2000,
        )
    access = staff_access(tenant=tenant, user=admin)
    lms = connection_save(
        tenant=tenant,
        access=access,
        unit_id=None,
        kind="moodle",
        base_url=lms_url,
        token=LMS_TOKEN,
        options={"auth": "oauth2"},
        max_concurrency=args.lms_concurrency,
    )
    users = {u.email: u for u in User.objects.filter(email__in=emails)}
    learners = [users[e] for e in emails]
    # Every k-th learner is already known to the LMS (an earlier offering provisioned them):
    # found or created there by the real client, and the LmsAccount kept.
    step = round(1 / known) if known > 0 else 0
    known_learners = [u for i, u in enumerate(learners) if step and i % step == 0]

    def ensure(user: User) -> tuple[int, str]:
        client = client_for(lms)
        remote = client.user_ensure(
            LmsUser(
                email=user.email,
                first_name="Pat",
                last_name=user.full_name.split()[-1],
                subject=str(subject_for(tenant=tenant, learner=user)),
            )
        )
        return user.pk, remote

    with ThreadPoolExecutor(32) as pool:
        remote_ids = list(pool.map(ensure, known_learners))
    LmsAccount.objects.bulk_create(
        [
            LmsAccount(tenant=tenant, connection=lms, learner_id=pk, remote_id=remote)
            for pk, remote in remote_ids
        ]
    )
    # Spread over the offerings round-robin; the schedule is the order of confirmation.
    plan = [[learners[i].pk, offerings[i % len(offerings)].pk] for i in range(confirmations)]

    registered = relying_party_create(
        tenant=tenant,
        name="Bench LMS sign-in",
        unit=None,
        redirect_uris="https://lms.bench.test/auth/callback",
        claims=["email", "profile"],
        first_party=True,
    )
    application = registered.relying_party.application
    token_users = learners[: min(len(learners), 200)]
    refresh_tokens = []
    for i in range(args.refresh_tokens):
        user = token_users[i % len(token_users)]
        access_token = AccessToken.objects.create(
            user=user,
            application=application,
            token=secrets.token_urlsafe(30),
            expires=now + timedelta(hours=1),
            scope="openid email profile",
        )
        refresh = secrets.token_urlsafe(30)
        RefreshToken.objects.create(
            user=user, application=application, token=refresh, access_token=access_token
        )
        refresh_tokens.append(refresh)
    Session.objects.filter(expire_date__lt=now).delete()
    sessions = []
    rows = []
    for user in token_users:
        key = secrets.token_hex(16)
        data = {
            SESSION_KEY: str(user.pk),
            BACKEND_SESSION_KEY: settings.AUTHENTICATION_BACKENDS[0],
            HASH_SESSION_KEY: user.get_session_auth_hash(),
        }
        rows.append(
            Session(
                session_key=key, session_data=SessionStore().encode(data), expire_date=now + timedelta(days=1)
            )
        )
        sessions.append(key)
    Session.objects.bulk_create(rows)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {
        "tenant": tenant.pk,
        "admin": admin.pk,
        "plan": plan,
        "known": [pk for pk, _r in remote_ids],
        "client_id": application.client_id,
        "client_secret": registered.client_secret,
        "refresh_tokens": refresh_tokens,
        "sessions": sessions,
        "session_cookie": settings.SESSION_COOKIE_NAME,
        "csrf_cookie": settings.CSRF_COOKIE_NAME,
    }


# --- Confirming (a Django process: ... enrol ...) -----------------------------------------------


def enrol(plan: list[list[int]], times: list[float], out: str) -> None:
    """Staff enrol each (learner, offering) at its time (time.time()), free seat: confirmed."""
    import django

    django.setup()
    from enrollment.services.enroll import enrollment_create
    from identity.models import User
    from tenants.models import Tenant

    tenant = Tenant.objects.get(slug=TENANT_SLUG)
    admin = User.objects.get(email="registrar@prov.localhost")
    learners = {u.pk: u for u in User.objects.filter(pk__in=[p[0] for p in plan])}
    late = []
    errors = 0
    for (learner_id, offering_id), at in zip(plan, times, strict=True):
        wait = at - time.time()
        if wait > 0:
            time.sleep(wait)
        late.append(max(0.0, -wait))
        try:
            enrolled = enrollment_create(
                tenant=tenant,
                learner=learners[learner_id],
                offering_id=offering_id,
                actor=admin,
                by_staff=True,
            )
            if enrolled.enrollment.status != "confirmed":
                errors += 1
        except Exception:  # noqa: BLE001 - counted and shown: the bench must not stop at one refusal
            errors += 1
    with open(out, "w") as f:
        json.dump({"late_max_s": max(late, default=0.0), "errors": errors}, f)


# --- Provisioning under load ------------------------------------------------------------------


def _progress(cur: Any, tenant: int) -> tuple[int, int, int]:
    cur.execute(
        "SELECT count(*) FILTER (WHERE state = 'provisioned'), count(*) FILTER (WHERE state = 'failed'), "
        "count(*) FROM access_provision WHERE tenant_id = %s",
        [tenant],
    )
    a, b, c = cur.fetchone()
    return int(a), int(b), int(c)


def provision_run(env: dict[str, str], seeded: dict[str, Any], lms_url: str, args: Any) -> dict[str, Any]:
    from lms_local.client import ControlClient

    control = ControlClient(lms_url)
    plan = seeded["plan"]
    n = len(plan)
    worker = start_workers(env, args.workers)
    try:
        before = dict(control.state()["requests"])
        start_at = time.time() + 3.0
        times = [start_at + i * args.seconds / n for i in range(n)]
        outs = [tempfile.mkstemp(suffix=".json")[1] for _ in range(args.enrollers)]
        inputs = []
        for i in range(args.enrollers):
            fd, name = tempfile.mkstemp(suffix=".json")
            with os.fdopen(fd, "w") as f:
                json.dump({"plan": plan[i :: args.enrollers], "times": times[i :: args.enrollers]}, f)
            inputs.append(name)
        print(f"  {args.enrollers} enroller processes; load average {os.getloadavg()[0]:.2f}", flush=True)
        enrollers = [
            subprocess.Popen(
                [sys.executable, "-m", "bench.provisioning", "enrol", "--plan", inputs[i], "--out", outs[i]],
                env=env,
                cwd=ROOT,
            )
            for i in range(args.enrollers)
        ]
        conn = _connect(env)
        conn.autocommit = True
        deadline = start_at + args.seconds + args.timeout
        provisioned = failed = rows = 0
        last_print = time.time()
        loads = []
        with conn.cursor() as cur:
            while time.time() < deadline:
                time.sleep(0.5)
                provisioned, failed, rows = _progress(cur, seeded["tenant"])
                if time.time() - last_print >= 10:
                    last_print = time.time()
                    loads.append(os.getloadavg()[0])
                    print(
                        f"  {time.time() - start_at:5.0f} s: {rows:,} planned, {provisioned:,} provisioned, "
                        f"{failed} failed; load {loads[-1]:.2f}",
                        flush=True,
                    )
                if provisioned + failed >= n and all(e.poll() is not None for e in enrollers):
                    break
            for e in enrollers:
                e.wait()
            enrolled = [json.loads(Path(o).read_text()) for o in outs]
            for path in [*outs, *inputs]:
                os.unlink(path)
            cur.execute(
                "SELECT count(*) FROM enrollment_enrollment WHERE tenant_id = %s AND status = 'confirmed'",
                [seeded["tenant"]],
            )
            (confirmed,) = cur.fetchone()
            cur.execute(
                "SELECT extract(epoch FROM c.at), extract(epoch FROM p.provisioned_at), "
                "p.enrollment_id IN (SELECT e.id FROM enrollment_enrollment e WHERE e.learner_id = ANY(%s)) "
                "FROM access_provision p JOIN LATERAL (SELECT min(ev.at) AS at "
                "FROM enrollment_enrollmentevent ev "
                "WHERE ev.enrollment_id = p.enrollment_id AND ev.to_status = 'confirmed') c ON true "
                "WHERE p.tenant_id = %s",
                [seeded["known"], seeded["tenant"]],
            )
            timings = [(float(a), float(b) if b is not None else None, bool(k)) for a, b, k in cur.fetchall()]
            cur.execute(
                "SELECT count(*) FROM access_provision WHERE tenant_id = %s AND attempts > 1",
                [seeded["tenant"]],
            )
            (retried,) = cur.fetchone()
        conn.close()
        after = dict(control.state()["requests"])
    finally:
        stop_workers(worker)
    calls = {k: after.get(k, 0) - before.get(k, 0) for k in after if after.get(k, 0) - before.get(k, 0)}
    done = [(c, p) for c, p, _k in timings if p is not None]
    lags = sorted(p - c for c, p in done)
    first = min((c for c, _p, _k in timings), default=0.0)
    last = max((p for _c, p in done), default=first)
    known_n = sum(1 for *_x, k in timings if k)
    new_n = len(timings) - known_n
    per_enrolment = sum(calls.get(f, 0) for f in ENROL_CALLS) / len(timings) if timings else 0.0
    per_new_user = sum(calls.get(f, 0) for f in USER_CALLS) / new_n if new_n else 0.0
    return {
        "confirmed": int(confirmed),
        "provisioned": len(done),
        "failed": failed,
        "retried": int(retried),
        "enrol_errors": sum(e["errors"] for e in enrolled),
        "enrollers_late_max_s": round(max(e["late_max_s"] for e in enrolled), 2),
        "confirm_s": round(max(c for c, _p, _k in timings) - first, 2) if timings else 0.0,
        "total_s": round(last - first, 2),
        "lag_p50_s": round(statistics.median(lags), 2) if lags else None,
        "lag_p99_s": round(lags[min(len(lags) - 1, int(len(lags) * 0.99))], 2) if lags else None,
        "lag_max_s": round(lags[-1], 2) if lags else None,
        "known_learners": known_n,
        "new_learners": new_n,
        "lms_calls": calls,
        "lms_calls_total": sum(calls.values()),
        "calls_per_known_learner": round(per_enrolment, 2),
        "calls_per_new_learner": round(per_enrolment + per_new_user, 2),
        "load_during": round(max(loads, default=os.getloadavg()[0]), 2),
    }


# --- The token endpoint against the trivial POST ------------------------------------------------


def _load_process(
    port: int, kind: str, items: list[str], connections: int, extra: dict[str, Any], go: float, stop_at: float
) -> list[tuple[float, float, int]]:
    lock = threading.Lock()
    position = [0]
    done: list[tuple[float, float, int]] = []
    basic = base64.b64encode(f"{extra['client_id']}:{extra['client_secret']}".encode()).decode()

    def worker() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine = []
        while time.monotonic() < stop_at:
            with lock:
                if position[0] >= len(items):
                    break
                item = items[position[0]]
                position[0] += 1
            if kind == "token":
                path = "/oidc/token/"
                body = f"grant_type=refresh_token&refresh_token={item}"
                headers = {
                    "Host": HOST,
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Authorization": f"Basic {basic}",
                }
            else:
                path = "/bench/trivial-post/"
                csrf = secrets.token_hex(16)
                body = "{}"
                headers = {
                    "Host": HOST,
                    "Content-Type": "application/json",
                    "Cookie": f"{extra['session_cookie']}={item}; {extra['csrf_cookie']}={csrf}",
                    "X-CSRFToken": csrf,
                }
            started = time.monotonic()
            try:
                connection.request("POST", path, body=body, headers=headers)
                answer = connection.getresponse()
                data = answer.read()
                status = answer.status
                if kind == "token" and status == 200 and "id_token" not in json.loads(data):
                    status = -1
                if answer.will_close:
                    connection.close()
            except (OSError, http.client.HTTPException, ValueError):
                status = 0
                connection.close()
            mine.append((started, time.monotonic(), status))
        with lock:
            done.extend(mine)

    while time.monotonic() < go:
        time.sleep(0.001)
    threads = [threading.Thread(target=worker) for _ in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return done


def load(
    port: int,
    kind: str,
    items: list[str],
    connections: int,
    seconds: float,
    extra: dict[str, Any],
    processes: int = 2,
) -> dict[str, Any]:
    go = time.monotonic() + 1.0
    stop_at = go + seconds
    per = [connections // processes + (1 if i < connections % processes else 0) for i in range(processes)]
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        parts = pool.starmap(
            _load_process,
            [(port, kind, items[i::processes], per[i], extra, go, stop_at) for i in range(processes)],
        )
    sent = [s for part in parts for s in part]
    latencies = sorted((f - s) * 1000 for s, f, _st in sent)
    wall = max(f for _s, f, _st in sent) - min(s for s, _f, _st in sent)
    ok = {"token": 200, "trivial": 201}[kind]
    return {
        "requests": len(sent),
        "rps": round(len(sent) / wall, 1),
        "p50_ms": round(statistics.median(latencies), 1),
        "p99_ms": round(latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))], 1),
        "errors": sum(1 for *_x, st in sent if st != ok),
        "ran_out": len(sent) >= len(items),
    }


def token_bench(
    env: dict[str, str], seeded: dict[str, Any], args: Any
) -> tuple[dict[str, Any], dict[str, Any]]:
    extra = {k: seeded[k] for k in ("client_id", "client_secret", "session_cookie", "csrf_cookie")}
    refresh: list[str] = seeded["refresh_tokens"]
    sessions: list[str] = seeded["sessions"]
    warm = min(len(refresh) // 10, 100)
    server = start_server(env, args.port, args.web_workers, host=HOST)
    try:
        load(args.port, "token", refresh[:warm], args.clients, 3.0, extra)  # warm-up: every worker
        load(args.port, "trivial", sessions * 5, args.clients, 2.0, extra)
        print(f"  token/trivial: load average before {os.getloadavg()[0]:.2f}", flush=True)
        token = load(args.port, "token", refresh[warm:], args.clients, args.token_seconds, extra)
        trivial = load(args.port, "trivial", sessions * 10_000, args.clients, args.token_seconds, extra)
        trivial["load_after"] = round(os.getloadavg()[0], 2)
    finally:
        stop_server(server)
    return token, trivial


# --- Main ----------------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> int:
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    env = _env()
    cpus = os.cpu_count() or 1
    from bench.credentials import prepare_database
    from lms_local.client import ControlClient

    print(f"Preparing {env['DATABASE_URL']} (migrate; {args.confirmations:,} learners)…", flush=True)
    prepare_database(env)
    lms, lms_url = start_lms(args.latency_ms)
    try:
        control = ControlClient(lms_url)
        course_ids = [
            int(control.add_course(name=f"Digital Literacy {i + 1}", shortname=f"DL-{i + 1}")["id"])
            for i in range(COURSES)
        ]
        with tempfile.NamedTemporaryFile("r", suffix=".json") as out:
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "bench.provisioning",
                    "seed",
                    "--confirmations",
                    str(args.confirmations),
                    "--known",
                    str(args.known),
                    "--lms-url",
                    lms_url,
                    "--courses",
                    ",".join(str(c) for c in course_ids),
                    "--lms-concurrency",
                    str(args.lms_concurrency),
                    "--refresh-tokens",
                    str(args.refresh_tokens),
                    "--out",
                    out.name,
                ],
                env=env,
                cwd=ROOT,
                check=True,
            )
            seeded: dict[str, Any] = json.load(open(out.name))  # noqa: SIM115 - the temp file closes it
        print(
            f"CPUs: {cpus}; LMS double at {lms_url} ({args.latency_ms} ms per call, {COURSES} courses); "
            f"{len(seeded['known'])} learners known to it; load average {os.getloadavg()[0]:.2f}",
            flush=True,
        )
        print(
            f"Confirming {args.confirmations:,} over {args.seconds:g} s; "
            f"{args.workers} Celery pool processes, "
            f"LMS connection max_concurrency {args.lms_concurrency}…",
            flush=True,
        )
        result = provision_run(env, seeded, lms_url, args)
    finally:
        stop_lms(lms)
    r = result
    print(
        f"confirmed {r['confirmed']:,} in {r['confirm_s']} s (enroll errors {r['enrol_errors']}, "
        f"enrollers at most {r['enrollers_late_max_s']} s behind schedule); "
        f"provisioned {r['provisioned']:,} (failed {r['failed']}, "
        f"retried {r['retried']}) {r['total_s']} s after the first confirmation; lag p50 {r['lag_p50_s']} s, "
        f"p99 {r['lag_p99_s']} s, max {r['lag_max_s']} s",
        flush=True,
    )
    print(
        f"LMS calls: {r['lms_calls_total']:,} ("
        + ", ".join(f"{k} {v:,}" for k, v in sorted(r["lms_calls"].items()))
        + "); "
        f"per new learner {r['calls_per_new_learner']} ({r['new_learners']:,}), per known learner "
        f"{r['calls_per_known_learner']} ({r['known_learners']:,})",
        flush=True,
    )
    print("OIDC token endpoint (refresh_token grant) and the trivial POST…", flush=True)
    token, trivial = token_bench(env, seeded, args)
    for name, t in (("token (refresh_token grant)", token), ("trivial POST", trivial)):
        print(
            f"{name}: {args.clients} clients, {t['requests']:,} requests, {t['rps']}/s, "
            f"p50 {t['p50_ms']} ms, "
            f"p99 {t['p99_ms']} ms, errors {t['errors']}" + (" (ran out of tokens)" if t["ran_out"] else ""),
            flush=True,
        )
    summary = {
        "confirmed": r["confirmed"],
        "provisioned": r["provisioned"],
        "failed": r["failed"],
        "total_s": r["total_s"],
        "confirm_s": r["confirm_s"],
        "lag_p50_s": r["lag_p50_s"],
        "lag_p99_s": r["lag_p99_s"],
        "lag_max_s": r["lag_max_s"],
        "calls_per_new_learner": r["calls_per_new_learner"],
        "calls_per_known_learner": r["calls_per_known_learner"],
        "lms_calls": r["lms_calls"],
        "token_rps": token["rps"],
        "token_p99_ms": token["p99_ms"],
        "token_errors": token["errors"],
        "trivial_post_rps": trivial["rps"],
        "trivial_post_p99_ms": trivial["p99_ms"],
        "workers": args.workers,
        "lms_concurrency": args.lms_concurrency,
        "web_workers": args.web_workers,
        "cpus": cpus,
        "load_provisioning": r["load_during"],
        "load_token": trivial["load_after"],
    }
    n = args.confirmations
    targets = [
        (
            f"all {n:,} provisioned within 90 s of the first confirmation",
            r["provisioned"] == n and r["total_s"] <= 90,
            f"{r['provisioned']:,} in {r['total_s']} s",
        ),
        ("p99 lag < 30 s", r["lag_p99_s"] is not None and r["lag_p99_s"] < 30, f"{r['lag_p99_s']} s"),
        ("≤ 2 LMS calls per new learner", r["calls_per_new_learner"] <= 2, str(r["calls_per_new_learner"])),
        (
            "≤ 1 LMS call per known learner",
            r["calls_per_known_learner"] <= 1,
            str(r["calls_per_known_learner"]),
        ),
    ]
    for name, met, figure in targets:
        print(f"Target {name}: {'met' if met else 'NOT met'} ({figure})")
    correct = (
        r["confirmed"] == n and r["provisioned"] == n and token["errors"] == 0 and trivial["errors"] == 0
    )
    print(
        f"Correct (every confirmation provisioned once, every token answer ok): {'yes' if correct else 'NO'}"
    )
    print(json.dumps(summary))
    return 0 if correct else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command")
    seeder = sub.add_parser("seed", help="(internal) seed the bench database")
    seeder.add_argument("--confirmations", type=int, required=True)
    seeder.add_argument("--known", type=float, required=True)
    seeder.add_argument("--lms-url", required=True)
    seeder.add_argument("--courses", required=True)
    seeder.add_argument("--lms-concurrency", type=int, required=True)
    seeder.add_argument("--refresh-tokens", type=int, required=True)
    seeder.add_argument("--out", required=True)
    enroller = sub.add_parser("enrol", help="(internal) confirm enrollments on schedule")
    enroller.add_argument("--plan", required=True)
    enroller.add_argument("--out", required=True)
    parser.add_argument("--confirmations", type=int, default=2_000)
    parser.add_argument("--seconds", type=float, default=60.0, help="confirmations paced over this long")
    parser.add_argument("--quick", action="store_true", help="200 confirmations over 6 s, 5 s of token load")
    parser.add_argument("--known", type=float, default=0.25, help="share of learners the LMS already knows")
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--workers", type=int, default=8, help="Celery pool processes")
    parser.add_argument("--lms-concurrency", type=int, default=16, help="the connection's max_concurrency")
    parser.add_argument("--enrollers", type=int, default=4, help="processes confirming enrollments")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--web-workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "4")))
    parser.add_argument("--token-seconds", type=float, default=10.0)
    parser.add_argument("--refresh-tokens", type=int, default=3000)
    parser.add_argument("--port", type=int, default=8798)
    parser.add_argument(
        "--timeout", type=float, default=300.0, help="give up this long after the last confirmation"
    )
    args = parser.parse_args(argv)
    if args.command == "seed":

        class Seed:
            lms_concurrency = args.lms_concurrency
            refresh_tokens = args.refresh_tokens

        with open(args.out, "w") as out:
            json.dump(
                seed(
                    args.confirmations,
                    args.known,
                    args.lms_url,
                    [int(c) for c in args.courses.split(",")],
                    Seed,
                ),
                out,
            )
        return 0
    if args.command == "enrol":
        given = json.loads(Path(args.plan).read_text())
        enrol(given["plan"], given["times"], args.out)
        return 0
    if args.quick:
        args.confirmations = min(args.confirmations, 200)
        args.seconds = min(args.seconds, 6.0)
        args.token_seconds = min(args.token_seconds, 5.0)
        args.refresh_tokens = min(args.refresh_tokens, 1500)
    return run(args)


if __name__ == "__main__":
    sys.exit(main())

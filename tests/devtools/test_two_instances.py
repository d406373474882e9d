"""Two `make run`s at once on one machine (the standard local PostgreSQL and Redis): each has its
own database, Redis db and ports, both answer, and a second Ctrl-C / SIGTERM while stopping still
stops every process each started."""

import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import psutil
import psycopg2
import pytest

from devtools import services

ROOT = Path(__file__).resolve().parent.parent.parent

pytestmark = pytest.mark.skipif(
    not (services.port_answers(*services.LOCAL_PG) and services.port_answers(*services.LOCAL_REDIS)),
    reason="needs PostgreSQL and Redis answering on 127.0.0.1:5432 and 6379",
)


def start(data_dir: Path) -> subprocess.Popen[str]:
    env = {"PATH": "/usr/bin:/bin", "WEB_CONCURRENCY": "1", "CELERY_CONCURRENCY": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "devtools.run", "--port", "0", "--data-dir", str(data_dir)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def read_banner(proc: subprocess.Popen[str], out: list[str]) -> None:
    assert proc.stdout is not None
    for line in proc.stdout:
        out.append(line)
        if "Press Ctrl-C to stop" in line:
            return


def drop(name: str) -> None:
    conn = psycopg2.connect(dbname="postgres", user="postgres", host="127.0.0.1")
    conn.autocommit = True
    conn.cursor().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    conn.close()


def test_two_instances_have_their_own_data_and_ports_and_stop_on_repeated_signals(tmp_path):
    dirs = [tmp_path / "a", tmp_path / "b"]
    names = [services.instance_database(d) for d in dirs]
    for name in names:
        drop(name)
    procs = [start(d) for d in dirs]
    outputs: list[list[str]] = [[], []]
    readers = [threading.Thread(target=read_banner, args=(p, o)) for p, o in zip(procs, outputs, strict=True)]
    try:
        for reader in readers:
            reader.start()
        for reader in readers:
            reader.join(timeout=150)
        banners = ["".join(o) for o in outputs]
        for banner in banners:
            assert "Press Ctrl-C to stop" in banner, banner[-3000:]

        def field(banner: str, after: str) -> str:
            return banner.split(after, 1)[1].split()[0].rstrip(",")

        addresses = [field(b, "Microcred is ready at ") for b in banners]
        redis_dbs = [field(b, "Redis answering on 127.0.0.1:6379, db ") for b in banners]
        databases = [field(b, "5432, database ") for b in banners]
        stripes = [field(b, "local Stripe (northfield ") for b in banners]
        assert len(set(addresses)) == 2
        assert len(set(redis_dbs)) == 2
        assert databases == names
        assert len(set(databases)) == 2
        assert len(set(stripes)) == 2
        for banner, address in zip(banners, addresses, strict=True):
            port = address.rpartition(":")[2]
            assert f"harbor.localhost:{port}" in banner
            assert ":8000" not in banner  # every address shown is the real one
            with urllib.request.urlopen(f"{address}/healthz", timeout=10) as answer:
                assert answer.status == 200
                assert '"worker": "ok"' in answer.read().decode()
        for stripe in stripes:
            with urllib.request.urlopen(f"{stripe}/healthz", timeout=10) as answer:
                assert answer.status == 200

        children = [psutil.Process(p.pid).children(recursive=True) for p in procs]
        assert all(len(c) >= 5 for c in children)  # 2 local Stripes, gunicorn, worker, beat (+ theirs)
        # One is interrupted twice quickly (Ctrl-C), the other terminated twice (SIGTERM).
        for proc, signum in zip(procs, (signal.SIGINT, signal.SIGTERM), strict=True):
            proc.send_signal(signum)
        time.sleep(0.3)
        for proc, signum in zip(procs, (signal.SIGINT, signal.SIGTERM), strict=True):
            proc.send_signal(signum)
        for proc in procs:
            rest = proc.communicate(timeout=60)[0]
            assert "Traceback" not in rest, rest
            assert "Stopped." in rest
        alive = [
            c for group in children for c in group if c.is_running() and c.status() != psutil.STATUS_ZOMBIE
        ]
        assert not alive
    finally:
        for proc in procs:
            if proc.poll() is None:
                for child in psutil.Process(proc.pid).children(recursive=True):
                    child.kill()
                proc.kill()
                proc.wait()
        for name in names:
            drop(name)

"""`make run` end to end: the runner brings up web, worker and beat, serves both demo tenants,
is healthy, seeds once, and Ctrl-C stops every process it started."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psutil
import pytest

from tests import scratch_db

ROOT = Path(__file__).resolve().parent.parent
DATABASE_URL, DATABASE = scratch_db.scratch_url("runcheck")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def drop_database() -> None:
    scratch_db.drop(DATABASE)


def fetch(url: str, host: str | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url, headers={"Host": host} if host else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def start(port: int, data_dir: Path) -> tuple[subprocess.Popen[str], list[str]]:
    env = {
        "PATH": "/usr/bin:/bin",
        "DATABASE_URL": DATABASE_URL,
        "REDIS_URL": os.environ["REDIS_URL"],
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "devtools.run", "--port", str(port), "--data-dir", str(data_dir)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    deadline = time.monotonic() + 120
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line and proc.poll() is not None:
            break
        lines.append(line)
        if "Press Ctrl-C to stop" in line:
            return proc, lines
    proc.kill()
    pytest.fail("make run did not become ready:\n" + "".join(lines[-40:]))


def stop(proc: subprocess.Popen[str]) -> list[psutil.Process]:
    children: list[psutil.Process] = psutil.Process(proc.pid).children(recursive=True)
    assert len(children) >= 3  # gunicorn (+ its workers), celery worker (+ pool), beat
    proc.send_signal(signal.SIGINT)
    proc.communicate(timeout=60)
    return children


@pytest.fixture
def runcheck_database():
    drop_database()
    yield
    drop_database()


@pytest.mark.usefixtures("runcheck_database")
def test_make_run_serves_the_demo_and_stops_everything_on_ctrl_c(tmp_path):
    port = free_port()
    proc, lines = start(port, tmp_path)
    try:
        banner = "".join(lines)
        assert f"Microcred is ready at http://127.0.0.1:{port}" in banner
        assert "admin@northfield.localhost" in banner
        assert "Demo data seeded." in banner
        # Finance's pages have a paid-out history to show, made through each local Stripe.
        assert "Demo finance history for northfield: 8 charges, 1 payout, 1 problem(s)" in banner
        assert "Demo finance history for harbor: " in banner
        # Each demo tenant's local Stripe answers, and the tenants' keys point at it.
        stripe_bases = [part.split(")")[0].split(",")[0] for part in banner.split("northfield ")[1:2]]
        assert stripe_bases
        assert fetch(f"{stripe_bases[0]}/healthz")[0] == 200
        assert "4242 4242 4242 4242" in banner
        # Two demo units reach a local LMS (lms_local), with a course for each of their offerings.
        moodle = banner.split("LMS: Continuing Education: local moodle at ")[1].split(" ")[0]
        assert fetch(f"{moodle}/healthz")[0] == 200
        assert "LMS: School of Business: local canvas at http://127.0.0.1:" in banner
        assert " 0 courses)" not in banner

        status, body = fetch(f"http://127.0.0.1:{port}/")
        assert status == 200
        assert "Northfield University" in body
        status, body = fetch(f"http://127.0.0.1:{port}/", host=f"harbor.localhost:{port}")
        assert status == 200
        assert "Harbor Community College" in body
        assert "Northfield" not in body
        status, body = fetch(f"http://127.0.0.1:{port}/", host=f"elsewhere.localhost:{port}")
        assert status == 404
        status, body = fetch(f"http://127.0.0.1:{port}/healthz")
        assert status == 200
        assert '"worker": "ok"' in body
        # Static files are served by whitenoise from the collected, hashed copies.
        css = next(
            part.split('"')[0]
            for part in fetch(f"http://127.0.0.1:{port}/")[1].split('href="')
            if ".css" in part.split('"')[0]
        )
        assert fetch(f"http://127.0.0.1:{port}{css}")[0] == 200
    finally:
        children = stop(proc)

    assert proc.returncode == 0
    assert not [p for p in children if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]

    # A second start finds the demo already there and leaves it as it is.
    proc, lines = start(port, tmp_path)
    try:
        assert "Demo data already present; left as it is." in "".join(lines)
        assert "Demo finance history for northfield: already present." in "".join(lines)
        assert "LMS: Continuing Education: local moodle at " in "".join(lines)  # the new port
    finally:
        stop(proc)
    assert proc.returncode == 0

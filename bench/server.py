"""The production-like server every benchmark runs: gunicorn on the bench settings."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def start_server(env: dict[str, str], port: int, workers: int, *, host: str) -> subprocess.Popen[bytes]:
    """gunicorn as production runs it (sync workers), ready once its trivial view answers.

    Refuses a port something already answers on: a server left from an interrupted run would
    answer instead (with the code it started with) while the new one failed to bind. A SIGTERM
    (`timeout`, a closed terminal) ends the caller by SystemExit, so its `finally` stops ours."""
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", port)) == 0:
            raise SystemExit(
                f"Port {port} is in use: stop what listens there (a gunicorn left from an interrupted "
                "benchmark?) or pass --port."
            )
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    command = [
        str(Path(sys.executable).parent / "gunicorn"),
        "microcred.wsgi",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        "sync",
        "--backlog",
        "2048",
        "--log-level",
        "warning",
    ]
    server = subprocess.Popen(command, env=env, cwd=ROOT, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/bench/trivial/", headers={"Host": host}
            )
            with urllib.request.urlopen(request, timeout=2) as answer:  # noqa: S310 - our own server
                if answer.status == 200:
                    return server
        except OSError:
            time.sleep(0.3)
    stop_server(server)
    raise SystemExit("gunicorn did not answer within 60 s")


def _exit_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def _default_sigterm() -> None:
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


# Processes forked from here (the client pools, whose pool ends its workers by SIGTERM) keep the
# default: killed at once, wherever they are, as the pool expects.
os.register_at_fork(after_in_child=_default_sigterm)


def stop_server(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()

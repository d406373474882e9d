"""`make run`: the whole platform on this machine, as production runs it.

Finds or starts PostgreSQL and Redis (devtools.services), migrates, seeds the demo tenants,
collects static files, then runs gunicorn (web, static files through whitenoise), a Celery
worker and Celery beat, and once they answer seeds a paid-out history (devtools.demo_finance).
Demo units reach a local Moodle and a local Canvas (lms_local, devtools.demo_lms).
Ctrl-C stops every process it started.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import IO

from devtools.services import DATA_DIR, ROOT, instance_database, lock_data_dir, resolve

BIN = Path(sys.executable).parent


def _secret_key(data_dir: Path) -> str:
    """A key kept in .data so sessions survive a restart, never committed."""
    path = data_dir / "secret_key"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


DEMO_STRIPES = ("northfield", "harbor")


def _listen(host: str, port: int) -> socket.socket:
    """Bind and hold the web port now (0: the OS picks one); gunicorn inherits the socket."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def _webhook_secret(data_dir: Path, slug: str) -> str:
    """One signing secret per demo tenant, kept in .data so a restart keeps deliveries valid."""
    path = data_dir / f"stripe-local-{slug}.whsec"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(f"whsec_{secrets.token_hex(24)}")
        path.chmod(0o600)
    return path.read_text().strip()


def _relay(stream: IO[bytes] | None) -> None:
    for line in stream or ():
        sys.stdout.write(line.decode(errors="replace"))
        sys.stdout.flush()


def _start_local_stripes(
    host: str, port: int, data_dir: Path, env: dict[str, str], processes: dict[str, subprocess.Popen[bytes]]
) -> dict[str, tuple[str, str]]:
    """Start each demo tenant's local Stripe on a port its own server binds (port 0: no race);
    slug → (API base it reports, webhook secret)."""
    found: dict[str, tuple[str, str]] = {}
    for slug in DEMO_STRIPES:
        secret = _webhook_secret(data_dir, slug)
        command = [
            sys.executable,
            "-m",
            "stripe_local",
            "--host",
            host,
            "--port",
            "0",
            "--webhook-url",
            f"http://{host}:{port}/payments/stripe/webhook/{slug}/",
            "--webhook-secret",
            secret,
            "--state",
            str(data_dir / f"stripe-local-{slug}.json"),
            "--quiet",
        ]
        proc = subprocess.Popen(command, env=env, cwd=ROOT, start_new_session=True, stdout=subprocess.PIPE)
        processes[f"stripe-{slug}"] = proc
        first = proc.stdout.readline().decode() if proc.stdout else ""
        if "listening on " not in first:
            raise RuntimeError(f"the local Stripe for {slug} did not start: {first!r}")
        found[slug] = (first.split("listening on ", 1)[1].strip(), secret)
        # Keep passing on what it prints, so a full pipe never blocks it.
        threading.Thread(target=_relay, args=(proc.stdout,), daemon=True).start()
    return found


LMS_TOKEN = "lms-local-demo-token"  # noqa: S105 - the local doubles' demo token


def _start_local_lmss(
    host: str, env: dict[str, str], processes: dict[str, subprocess.Popen[bytes]]
) -> dict[str, str]:
    """A local Moodle and a local Canvas (lms_local) on free ports; kind → base address."""
    found: dict[str, str] = {}
    for kind in ("moodle", "canvas"):
        command = [
            sys.executable,
            "-m",
            "lms_local",
            "--kind",
            kind,
            "--host",
            host,
            "--port",
            "0",
            "--token",
            LMS_TOKEN,
            "--quiet",
        ]
        proc = subprocess.Popen(command, env=env, cwd=ROOT, start_new_session=True, stdout=subprocess.PIPE)
        processes[f"lms-{kind}"] = proc
        first = proc.stdout.readline().decode() if proc.stdout else ""
        if "listening on " not in first:
            raise RuntimeError(f"the local {kind} did not start: {first!r}")
        found[kind] = first.split("listening on ", 1)[1].strip()
        threading.Thread(target=_relay, args=(proc.stdout,), daemon=True).start()
    return found


def _manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, str(ROOT / "manage.py"), *args], env=env, check=True, cwd=ROOT)


def _wait_ready(url: str, processes: dict[str, subprocess.Popen[bytes]], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for name, proc in processes.items():
            if proc.poll() is not None:
                print(f"!!! {name} exited with code {proc.returncode} while starting.", flush=True)
                return False
        try:
            with urllib.request.urlopen(url, timeout=5) as answer:  # noqa: S310 - our own local address
                if answer.status == 200:
                    return True
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.5)
    return False


def _killpg(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signum)


def _stop(processes: dict[str, subprocess.Popen[bytes]], timeout: float = 15) -> None:
    """SIGTERM every process group, wait up to `timeout`, then SIGKILL what is left of each group
    (also children a stopped leader left behind)."""
    for proc in processes.values():
        _killpg(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for name, proc in processes.items():
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            print(f"{name} did not stop in time; killing it.", flush=True)
        _killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def _at(where: str, host: str, port: int) -> str:
    """A demo account's address as this instance serves it (the lists say 127.0.0.1:8000)."""
    return where.replace("127.0.0.1:8000", f"{host}:{port}").replace("localhost:8000", f"localhost:{port}")


def _banner(
    address: str,
    port: int,
    seconds: float,
    services_lines: list[str],
    stripes: dict[str, str],
    lmss: dict[str, str] | None = None,
) -> str:
    from learners.demo_accounts import DEMO_LEARNERS
    from tenants.demo_accounts import DEMO_ACCOUNTS, DEMO_PASSWORD

    host = address.removeprefix("http://").rpartition(":")[0]
    accounts = "\n".join(f"    {a.email:<34} {a.role:<38} {_at(a.where, host, port)}" for a in DEMO_ACCOUNTS)
    learners = "\n".join(
        f"    {a.email:<34} {a.full_name:<38} {_at(a.where, host, port)}" for a in DEMO_LEARNERS
    )
    return f"""
================================================================================
 Microcred is ready at {address}   (took {seconds:.1f} s)
   second demo tenant: {address.replace("127.0.0.1", "harbor.localhost")}
   health:             {address}/healthz
{chr(10).join("   " + line for line in services_lines)}
 Demo sign-in accounts (password: {DEMO_PASSWORD}, or ask for a sign-in code):
{accounts}
   Tenant admins and finance set up an authenticator app (TOTP) on their first console visit.
 Demo learners (no password: sign in with a code; /guest/ checks out a new address):
{learners}
 Payments: each demo tenant has a local Stripe ({", ".join(f"{k} {v}" for k, v in stripes.items())});
   pay on its checkout page with 4242 4242 4242 4242 (4000 0000 0000 0002 is declined).
 LMSs: Continuing Education uses a local Moodle ({(lmss or {}).get("moodle", "-")}), the School of
   Business a local Canvas ({(lmss or {}).get("canvas", "-")}); course pages take ?user=<e-mail>.
 E-mails (sign-in codes, invitations, receipts) are printed in this terminal.
 Press Ctrl-C to stop everything this command started.
================================================================================
""".strip("\n")


_stopping = False


def _interrupt(signum: int, frame: object) -> None:
    """The first Ctrl-C / SIGTERM stops; any later one, while stopping, is ignored."""
    global _stopping
    if _stopping:
        return
    _stopping = True
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    global _stopping
    _stopping = False
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default=os.environ.get("MICROCRED_HOST", "127.0.0.1"))
    parser.add_argument(
        "--port", type=int, default=None, help="web port (default MICROCRED_PORT, else 8000 or a free one)"
    )
    parser.add_argument("--data-dir", type=Path, default=DATA_DIR)
    args = parser.parse_args(argv)
    started = time.monotonic()
    signal.signal(signal.SIGTERM, _interrupt)
    # Started in the background by a shell without job control, SIGINT arrives ignored: take it back.
    signal.signal(signal.SIGINT, _interrupt)
    data_dir: Path = args.data_dir
    data_lock = lock_data_dir(data_dir)
    if data_lock is None:
        print(f"!!! Another `make run` uses {data_dir}. Stop it, or give this one --data-dir.", flush=True)
        return 1
    asked = args.port if args.port is not None else os.environ.get("MICROCRED_PORT")
    try:
        web_socket = _listen(args.host, int(asked) if asked is not None else 8000)
    except OSError:
        if asked is not None:
            print(f"!!! {args.host}:{asked} is in use. Stop what uses it, or set MICROCRED_PORT.", flush=True)
            return 1
        web_socket = _listen(args.host, 0)  # 8000 is taken (another instance?): any free port
    port = int(web_socket.getsockname()[1])
    address = f"http://{args.host}:{port}"

    # Redis db None: on a shared local Redis each instance claims a db of its own.
    services = resolve(database=instance_database(data_dir), redis_db=None, data_dir=data_dir)
    env = {
        **os.environ,
        **services.env(),
        "DJANGO_SETTINGS_MODULE": "microcred.settings",
        "PYTHONUNBUFFERED": "1",
    }
    # Plain http on a local machine; everything else stays as production has it.
    env.setdefault("DJANGO_SECRET_KEY", _secret_key(data_dir))
    env.setdefault("DJANGO_HTTPS", "0")
    env.setdefault("EMAIL_DELIVERY_BACKEND", "django.core.mail.backends.console.EmailBackend")
    env["PUBLIC_PORT"] = str(port)  # links in e-mails sent by Celery jobs
    env.setdefault("STATIC_ROOT", str(data_dir / "static"))
    env.setdefault("MEDIA_ROOT", str(data_dir / "media"))
    env["DJANGO_CSRF_TRUSTED_ORIGINS"] = f"{address},http://localhost:{port},http://harbor.localhost:{port}"
    processes: dict[str, subprocess.Popen[bytes]] = {}
    try:
        print(f"Database: {services.database_source}\nRedis:    {services.redis_source}", flush=True)
        stripes = _start_local_stripes(args.host, port, data_dir, env, processes)
        env["STRIPE_API_BASES"] = ",".join(f"{slug}={base}" for slug, (base, _s) in stripes.items())
        _manage(env, "migrate", "--noinput", "-v", "0")
        _manage(env, "seed_demo")
        _manage(env, "seed_demo_learners")
        lmss = _start_local_lmss(args.host, env, processes)
        if subprocess.run(
            [sys.executable, "-m", "devtools.demo_lms", lmss["moodle"], lmss["canvas"], LMS_TOKEN],
            env=env,
            cwd=ROOT,
        ).returncode:
            print("!!! The demo LMS connections could not be set; the rest runs on.", flush=True)
        _manage(env, "collectstatic", "--noinput", "-v", "0")
        for slug, (_base, secret) in stripes.items():
            _manage(
                env, "stripe_keys_set", slug, "--secret-key", "sk_test_local_demo", "--webhook-secret", secret
            )
        commands = {
            "web": [
                str(BIN / "gunicorn"),
                "microcred.wsgi",
                "--bind",
                f"fd://{web_socket.fileno()}",
                "--workers",
                env.get("WEB_CONCURRENCY", "2"),
                "--access-logfile",
                "-",
            ],
            "worker": [
                str(BIN / "celery"),
                "-A",
                "microcred",
                "worker",
                "--loglevel",
                "INFO",
                "--concurrency",
                env.get("CELERY_CONCURRENCY", "2"),
            ],
            # Webhook deliveries have a queue and a worker of their own: an endpoint that answers
            # slowly holds one of these slots, never the e-mails' or the payments'.
            "webhooks": [
                str(BIN / "celery"),
                "-A",
                "microcred",
                "worker",
                "-Q",
                "webhooks",
                "-n",
                "webhooks@%h",
                "--loglevel",
                "INFO",
                "--concurrency",
                env.get("WEBHOOKS_CONCURRENCY", "2"),
            ],
            "beat": [
                str(BIN / "celery"),
                "-A",
                "microcred",
                "beat",
                "--loglevel",
                "INFO",
                "--schedule",
                str(data_dir / "celerybeat-schedule"),
            ],
        }
        for name, command in commands.items():
            # Own process groups: Ctrl-C reaches this script, which stops them in order.
            fds = (web_socket.fileno(),) if name == "web" else ()
            processes[name] = subprocess.Popen(
                command, env=env, cwd=ROOT, start_new_session=True, pass_fds=fds
            )
        web_socket.close()  # gunicorn holds it now
        if not _wait_ready(f"{address}/healthz", processes, timeout=120):
            print("!!! The platform did not become healthy; stopping.", flush=True)
            return 1
        # Finance's pages get a paid-out history once the local Stripes answer (first start only).
        if subprocess.run([sys.executable, "-m", "devtools.demo_finance"], env=env, cwd=ROOT).returncode:
            print("!!! The demo finance history could not be seeded; the rest runs on.", flush=True)
        database = services.database_url.rpartition("/")[2]
        lines = [
            f"database: {services.database_source}, database {database}",
            f"redis:    {services.redis_source}",
        ]
        bases = {slug: base for slug, (base, _s) in stripes.items()}
        print(_banner(address, port, time.monotonic() - started, lines, bases, lmss), flush=True)
        while all(proc.poll() is None for proc in processes.values()):
            time.sleep(0.5)
        dead = [name for name, proc in processes.items() if proc.poll() is not None]
        print(f"!!! {', '.join(dead)} stopped unexpectedly; stopping the rest.", flush=True)
        return 1
    except KeyboardInterrupt:
        print("\nStopping web, worker, beat, the local Stripes and LMSs...", flush=True)
        return 0
    finally:
        _stopping = True  # from here on Ctrl-C / SIGTERM are ignored: the stop always completes
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        web_socket.close()
        _stop(processes)
        services.close()
        data_lock.close()
        print("Stopped.", flush=True)


if __name__ == "__main__":
    sys.exit(main())

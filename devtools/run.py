"""`make run`: the whole platform on this machine, as production runs it.

Finds or starts PostgreSQL and Redis (devtools.services), migrates, seeds the demo tenants,
collects static files, then runs gunicorn (web, static files through whitenoise), a Celery
worker and Celery beat, and once they answer seeds a paid-out history (devtools.demo_finance).
Ctrl-C stops every process it started.
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from devtools.services import DATA_DIR, ROOT, port_answers, resolve

BIN = Path(sys.executable).parent


def _secret_key(data_dir: Path) -> str:
    """A key kept in .data so sessions survive a restart, never committed."""
    path = data_dir / "secret_key"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


# The demo tenants each get a local Stripe (an account of their own): its API and hosted
# checkout page on these ports (or free ones), its events to the tenant's webhook by slug.
STRIPE_LOCAL_PORTS = {"northfield": 12111, "harbor": 12112}


def _free_port(host: str, preferred: int) -> int:
    if not port_answers(host, preferred):
        return preferred
    import socket

    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _webhook_secret(data_dir: Path, slug: str) -> str:
    """One signing secret per demo tenant, kept in .data so a restart keeps deliveries valid."""
    path = data_dir / f"stripe-local-{slug}.whsec"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(f"whsec_{secrets.token_hex(24)}")
        path.chmod(0o600)
    return path.read_text().strip()


def _local_stripes(host: str, port: int, data_dir: Path) -> dict[str, tuple[str, str, list[str]]]:
    """slug → (API base, webhook secret, command) of each demo tenant's local Stripe."""
    found: dict[str, tuple[str, str, list[str]]] = {}
    for slug, preferred in STRIPE_LOCAL_PORTS.items():
        stripe_port = _free_port(host, preferred)
        secret = _webhook_secret(data_dir, slug)
        command = [
            sys.executable,
            "-m",
            "stripe_local",
            "--host",
            host,
            "--port",
            str(stripe_port),
            "--webhook-url",
            f"http://{host}:{port}/payments/stripe/webhook/{slug}/",
            "--webhook-secret",
            secret,
            "--state",
            str(data_dir / f"stripe-local-{slug}.json"),
            "--quiet",
        ]
        found[slug] = (f"http://{host}:{stripe_port}", secret, command)
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


def _stop(processes: dict[str, subprocess.Popen[bytes]]) -> None:
    for proc in processes.values():
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + 15
    for name, proc in processes.items():
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            print(f"{name} did not stop in time; killing it.", flush=True)
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _banner(address: str, seconds: float, services_lines: list[str], stripes: dict[str, str]) -> str:
    from learners.demo_accounts import DEMO_LEARNERS
    from tenants.demo_accounts import DEMO_ACCOUNTS, DEMO_PASSWORD

    accounts = "\n".join(f"    {a.email:<34} {a.role:<38} {a.where}" for a in DEMO_ACCOUNTS)
    learners = "\n".join(f"    {a.email:<34} {a.full_name:<38} {a.where}" for a in DEMO_LEARNERS)
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
 E-mails (sign-in codes, invitations, receipts) are printed in this terminal.
 Press Ctrl-C to stop everything this command started.
================================================================================
""".strip("\n")


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default=os.environ.get("MICROCRED_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("MICROCRED_PORT", "8000")))
    parser.add_argument("--data-dir", type=Path, default=DATA_DIR)
    args = parser.parse_args(argv)
    started = time.monotonic()
    signal.signal(signal.SIGTERM, _interrupt)
    # Started in the background by a shell without job control, SIGINT arrives ignored: take it back.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    address = f"http://{args.host}:{args.port}"
    if port_answers(args.host, args.port):
        print(f"!!! Something already answers on {args.host}:{args.port}. Stop it, or set MICROCRED_PORT.")
        return 1

    services = resolve(data_dir=args.data_dir)
    data_dir: Path = args.data_dir
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
    env.setdefault("PUBLIC_PORT", str(args.port))  # links in e-mails sent by Celery jobs
    env.setdefault("STATIC_ROOT", str(data_dir / "static"))
    env.setdefault("MEDIA_ROOT", str(data_dir / "media"))
    env.setdefault(
        "DJANGO_CSRF_TRUSTED_ORIGINS",
        f"{address},http://localhost:{args.port},http://harbor.localhost:{args.port}",
    )
    stripes = _local_stripes(args.host, args.port, data_dir)
    env.setdefault("STRIPE_API_BASES", ",".join(f"{slug}={base}" for slug, (base, _s, _c) in stripes.items()))
    processes: dict[str, subprocess.Popen[bytes]] = {}
    try:
        print(f"Database: {services.database_source}\nRedis:    {services.redis_source}", flush=True)
        _manage(env, "migrate", "--noinput", "-v", "0")
        _manage(env, "seed_demo")
        _manage(env, "seed_demo_learners")
        _manage(env, "collectstatic", "--noinput", "-v", "0")
        for slug, (_base, secret, _command) in stripes.items():
            _manage(
                env, "stripe_keys_set", slug, "--secret-key", "sk_test_local_demo", "--webhook-secret", secret
            )
        commands = {
            **{f"stripe-{slug}": command for slug, (_b, _s, command) in stripes.items()},
            "web": [
                str(BIN / "gunicorn"),
                "microcred.wsgi",
                "--bind",
                f"{args.host}:{args.port}",
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
            processes[name] = subprocess.Popen(command, env=env, cwd=ROOT, start_new_session=True)
        if not _wait_ready(f"{address}/healthz", processes, timeout=120):
            print("!!! The platform did not become healthy; stopping.", flush=True)
            return 1
        # Finance's pages get a paid-out history once the local Stripes answer (first start only).
        if subprocess.run([sys.executable, "-m", "devtools.demo_finance"], env=env, cwd=ROOT).returncode:
            print("!!! The demo finance history could not be seeded; the rest runs on.", flush=True)
        lines = [f"database: {services.database_source}", f"redis:    {services.redis_source}"]
        bases = {slug: base for slug, (base, _s, _c) in stripes.items()}
        print(_banner(address, time.monotonic() - started, lines, bases), flush=True)
        while all(proc.poll() is None for proc in processes.values()):
            time.sleep(0.5)
        dead = [name for name, proc in processes.items() if proc.poll() is not None]
        print(f"!!! {', '.join(dead)} stopped unexpectedly; stopping the rest.", flush=True)
        return 1
    except KeyboardInterrupt:
        print("\nStopping web, worker, beat and the local Stripes...", flush=True)
        return 0
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        _stop(processes)
        services.close()
        print("Stopped.", flush=True)


if __name__ == "__main__":
    sys.exit(main())

"""Run a command with DATABASE_URL and REDIS_URL pointing at real servers (see services.py).

python -m devtools.with_services [--purpose test] -- COMMAND...
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

from devtools.services import DATA_DIR, resolve


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--purpose", choices=["run", "test"], default="run")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("give a command after --")
    testing = args.purpose == "test"
    # Tests keep their own database name and Redis db so they never touch `make run`'s data.
    services = resolve(
        database="microcred" if not testing else "microcred_test_base",
        redis_db=0 if not testing else 1,
        data_dir=DATA_DIR if not testing else DATA_DIR / "test",
    )
    print(f"Database: {services.database_source}", flush=True)
    print(f"Redis:    {services.redis_source}", flush=True)
    env = {**os.environ, **services.env()}
    if testing:
        env.setdefault("DJANGO_SETTINGS_MODULE", "microcred.test_settings")
    try:
        return subprocess.call(command, env=env)
    except KeyboardInterrupt:
        return 130
    finally:
        services.close()


if __name__ == "__main__":
    sys.exit(main())

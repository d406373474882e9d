"""Where a benchmark's requests wait: run it next to bench/flash_sale.py (or any load).

    .venv/bin/python -m bench.waits --database microcred_bench_enroll --port 8798 [--seconds 150]

Every second it prints, for the gunicorn workers serving --port and for the PostgreSQL
backends connected to --database: the CPU time they used and the time they spent runnable but
waiting for a CPU (the run queue: /proc/PID/schedstat), and their context switches. Every
--sample seconds (default 0.003) it reads pg_stat_activity, and every 5 s prints the share of
the backends in each (state, wait event, statement): lock waits (`Lock transactionid`),
commits waiting on the WAL flush (`IO WALSync`), transactions waiting on the worker between
two statements (`idle in transaction`, `Client ClientRead`). Linux only; not in `make test`.
"""

from __future__ import annotations

import argparse
import collections
import os
import sys
import time
from typing import Any

ACTIVITY = (
    "SELECT state, coalesce(wait_event_type, ''), coalesce(wait_event, ''), left(query, 40) "
    "FROM pg_stat_activity WHERE datname = %s AND backend_type = 'client backend' "
    "AND pid <> pg_backend_pid()"
)
BACKENDS = (
    "SELECT pid FROM pg_stat_activity WHERE datname = %s AND backend_type = 'client backend' "
    "AND pid <> pg_backend_pid()"
)


def gunicorn_pids(port: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as handle:
                argv = handle.read().split(b"\0")
        except OSError:
            continue
        if any(b"gunicorn" in a for a in argv[:2]) and f"127.0.0.1:{port}".encode() in argv:
            found.append(int(entry))
    return found


def schedstat(pid: int) -> tuple[int, int, int] | None:
    """(ns on a CPU, ns runnable waiting for one, timeslices)."""
    try:
        with open(f"/proc/{pid}/schedstat") as handle:
            cpu, wait, slices = handle.read().split()
    except (OSError, ValueError):
        return None
    return int(cpu), int(wait), int(slices)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--seconds", type=float, default=150.0)
    parser.add_argument("--sample", type=float, default=0.003)
    parser.add_argument("--dsn", default="host=127.0.0.1 user=postgres dbname=postgres")
    args = parser.parse_args(argv)
    import psycopg2

    conn: Any = psycopg2.connect(args.dsn)
    conn.autocommit = True
    cur = conn.cursor()
    previous: dict[int, tuple[int, int, int]] = {}
    states: collections.Counter[tuple[str, ...]] = collections.Counter()
    samples = 0
    began = time.monotonic()
    next_second = began + 1
    next_states = began + 5
    while time.monotonic() - began < args.seconds:
        cur.execute(ACTIVITY, [args.database])
        rows = cur.fetchall()
        if rows:
            samples += 1
            states.update(tuple(row) for row in rows)
        now = time.monotonic()
        if now >= next_second:
            next_second = now + 1
            cur.execute(BACKENDS, [args.database])
            groups = {"workers": gunicorn_pids(args.port), "backends": [r[0] for r in cur.fetchall()]}
            parts = [f"t={now - began:6.1f}s"]
            for name, pids in groups.items():
                cpu = wait = slices = 0
                for pid in pids:
                    stat = schedstat(pid)
                    if stat is None:
                        continue
                    before = previous.get(pid, stat)
                    previous[pid] = stat
                    cpu += stat[0] - before[0]
                    wait += stat[1] - before[1]
                    slices += stat[2] - before[2]
                parts.append(
                    f"{name}[{len(pids)}]: cpu {cpu / 1e6:5.0f} ms, run-queue wait {wait / 1e6:5.0f} ms, "
                    f"switches {slices:5d}"
                )
            print("  ".join(parts), flush=True)
        if now >= next_states and samples:
            next_states = now + 5
            print(f"  backends by state over {samples} samples (average number in each):", flush=True)
            for key, count in states.most_common(12):
                print(f"    {count / samples:5.2f}  {' | '.join(key)}", flush=True)
            states.clear()
            samples = 0
        time.sleep(args.sample)
    conn.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

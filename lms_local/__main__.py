"""python -m lms_local --kind moodle|canvas [--host H] [--port P] [--token T] [--latency-ms N]
[--login-url URL] [--course SHORTNAME=NAME ...] [--fail STATUS|rate-limit|timeout[:TIMES] ...] [--quiet]"""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from lms_local.server import DEFAULT_TOKEN, KINDS, LocalLms
from lms_local.store import Fault


def _fault(spec: str) -> Fault:
    kind, _, times = spec.partition(":")
    count = int(times) if times else 1
    if kind == "rate-limit":
        return Fault(status=429, rate_limit=True, times=count)
    if kind == "timeout":
        return Fault(status=None, delay_ms=60_000, times=count)
    status = int(kind)
    if not 400 <= status <= 599:
        raise ValueError(spec)
    return Fault(status=status, times=count)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m lms_local", description="A local Moodle or Canvas double."
    )
    parser.add_argument("--kind", choices=KINDS, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 (the default) picks a free port")
    parser.add_argument("--token", default=DEFAULT_TOKEN, help="the one web-service / API token it accepts")
    parser.add_argument("--latency-ms", type=int, default=0, help="delay every API answer this long")
    parser.add_argument("--login-url", default="", help="where its sign-in page sends learners (OIDC)")
    parser.add_argument(
        "--course", action="append", default=[], metavar="SHORTNAME=NAME", help="a course to start with"
    )
    parser.add_argument(
        "--fail",
        action="append",
        default=[],
        metavar="STATUS|rate-limit|timeout[:TIMES]",
        help="the next API calls fail so (e.g. 500:3)",
    )
    parser.add_argument("--quiet", action="store_true", help="do not log each request")
    args = parser.parse_args(argv)
    try:
        faults = [_fault(spec) for spec in args.fail]
    except ValueError:
        parser.error("--fail takes an HTTP error status, rate-limit or timeout, optionally :TIMES")
    server = LocalLms(
        kind=args.kind,
        host=args.host,
        port=args.port,
        token=args.token,
        latency_ms=args.latency_ms,
        login_url=args.login_url,
        log_requests=not args.quiet,
    )
    courses = []
    with server.store.lock:
        server.store.faults.extend(faults)
        for spec in args.course:
            shortname, _, name = spec.partition("=")
            courses.append(
                server.store.add_course(name=name or shortname, shortname=shortname, idnumber=shortname)
            )
    server.start()
    print(f"Local {args.kind} listening on {server.url}", flush=True)
    print(f"  Token: {args.token}", flush=True)
    for course in courses:
        print(f"  Course {course.id}: {course.name} ({course.shortname})", flush=True)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    try:
        done.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        print(f"Local {args.kind} stopped.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

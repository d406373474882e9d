"""python -m stripe_local [--host H] [--port P] [--webhook-url URL] [--webhook-secret whsec_...]
[--public-url URL] [--state FILE]"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path

from stripe_local.server import DEFAULT_API_KEY, LocalStripe


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m stripe_local", description="A local Stripe-compatible server."
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=12111)
    parser.add_argument(
        "--public-url", help="base address people and the SDK reach it by (default http://HOST:PORT)"
    )
    parser.add_argument("--webhook-url", help="where events are POSTed")
    parser.add_argument("--webhook-secret", help="signing secret (whsec_...); a new one is made when omitted")
    parser.add_argument("--state", type=Path, help="keep state in this JSON file across restarts")
    parser.add_argument("--quiet", action="store_true", help="do not log each request")
    args = parser.parse_args(argv)
    if args.webhook_secret is not None and not args.webhook_secret.startswith("whsec_"):
        parser.error("--webhook-secret must start with whsec_")
    server = LocalStripe(
        host=args.host,
        port=args.port,
        public_url=args.public_url,
        webhook_url=args.webhook_url,
        webhook_secret=args.webhook_secret,
        state_file=args.state,
        log_requests=not args.quiet,
    )
    server.start()
    print(f"Local Stripe listening on {server.url}", flush=True)
    print(f"  API key:        any sk_test_... (e.g. {DEFAULT_API_KEY})", flush=True)
    print(
        f"  Webhook URL:    {args.webhook_url or '(none; set one with POST /_control/webhooks)'}", flush=True
    )
    print(f"  Webhook secret: {server.webhook_secret}", flush=True)
    if args.state:
        print(f"  State file:     {args.state}", flush=True)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    try:
        done.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        print("Local Stripe stopped.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The HTTP server: Stripe's API under `/v1/`, the hosted checkout page under `/c/pay/`, hosted
invoice pages and PDFs under `/i/`, the control API under `/_control/`.

An API request is counted, authenticated (`Authorization: Bearer sk_test_…`), subjected to any
injected fault, decoded, checked against its idempotency key, and answered by its route's
handler under the store's lock.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
import secrets
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

from stripe_local import checkout_page, control, invoice_page
from stripe_local.api import Call
from stripe_local.errors import ApiError
from stripe_local.faults import Faults
from stripe_local.ids import new_id
from stripe_local.params import Params, decode
from stripe_local.routes import expand, find, tick
from stripe_local.store import API_VERSION, IdempotentAnswer, Store
from stripe_local.webhooks import WebhookDeliverer

if TYPE_CHECKING:
    import stripe

    from stripe_local.client import ControlClient

logger = logging.getLogger("stripe_local")

DEFAULT_API_KEY = "sk_test_local_microcred"
_KEY = re.compile(r"^(sk|rk)_test_[A-Za-z0-9_]+$")
_MAX_BODY = 10 * 1024 * 1024


def _json(body: Any) -> bytes:
    return json.dumps(body).encode()


def answer_api(
    store: Store,
    *,
    api_key: str,
    method: str,
    path: str,
    params: dict[str, Any],
    idempotency_key: str | None,
    request_id: str,
) -> tuple[int, bytes, dict[str, str]]:
    """Answer one API request: (status, JSON body, extra headers)."""
    found = find(method, path)
    key = idempotency_key if method == "POST" and idempotency_key else None
    fingerprint = json.dumps(params, sort_keys=True)
    headers = {"Idempotency-Key": key} if key else {}
    with store.lock:
        tick(store)
        if found is None:
            raise ApiError(
                404,
                f"Unrecognized request URL ({method}: {path}). The local Stripe server answers the calls "
                "listed in docs/local-stripe.md.",
            )
        if key is not None:
            stored = store.idempotency.get((api_key, key))
            if stored is not None:
                if (stored.method, stored.path, stored.fingerprint) != (method, path, fingerprint):
                    raise ApiError(
                        400,
                        "Keys for idempotent requests can only be used with the same parameters they were "
                        f"first used with. Try using a key other than '{key}' if you meant to execute a "
                        "different request.",
                        type="idempotency_error",
                    )
                return (
                    stored.status,
                    stored.body,
                    {
                        **headers,
                        "Idempotent-Replayed": "true",
                        "Original-Request": stored.request_id,
                    },
                )
        route, ids = found
        store.request_id, store.idempotency_key = request_id, key
        try:
            decoded = Params(params)
            paths = decoded.expand()
            body = expand(store, route.handler(Call(store, decoded, ids, path)), paths)
            status = 200
        except ApiError as error:
            status, body = error.status, error.body()
        finally:
            store.request_id = store.idempotency_key = None
        encoded = _json(body)
        # As Stripe: a request that ran is remembered (a decline too); one refused before it ran is not.
        if key is not None and (status < 400 or status == 402):
            store.idempotency[(api_key, key)] = IdempotentAnswer(
                method, path, fingerprint, status, encoded, request_id
            )
        return status, encoded, headers


def _page_headers(location: str | None) -> dict[str, str]:
    headers = {
        "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; "
        "frame-ancestors 'none'",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
    }
    if location is not None:
        headers["Location"] = location
    return headers


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], app: LocalStripe) -> None:
        self.app = app
        super().__init__(address, _Handler)


class _Handler(BaseHTTPRequestHandler):
    server: _HTTPServer
    protocol_version = "HTTP/1.1"
    server_version = "stripe-local/1"
    timeout = 120
    # Headers and body go out in two writes; without TCP_NODELAY, Nagle's algorithm and the
    # client's delayed ACK hold each answer ~40 ms.
    disable_nagle_algorithm = True

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.app.log_requests:
            sys.stderr.write(f"stripe-local: {format % args}\n")

    def _dispatch(self, method: str) -> None:
        try:
            url = urlsplit(self.path)
            raw = self._read_body()
            if url.path.startswith("/v1/"):
                self._api(method, url.path, url.query, raw)
            elif url.path.startswith("/c/pay/"):
                self._page(method, url.path.removeprefix("/c/pay/"), raw)
            elif url.path.startswith("/i/"):
                self._invoice_page(method, url.path.removeprefix("/i/"), raw)
            elif url.path.startswith("/_control/"):
                self._control(method, url.path, raw)
            elif url.path in ("/", "/healthz"):
                self._send(200, _json({"status": "ok", "server": "stripe-local", "api_version": API_VERSION}))
            else:
                self._send(404, _json({"error": {"type": "invalid_request_error", "message": "Not found."}}))
        except ConnectionError:
            # The client gave up (its timeout, say) before the answer was written.
            self.close_connection = True
        except Exception:
            logger.exception("stripe-local failed on %s %s", method, self.path)
            body = {
                "error": {"type": "api_error", "message": "The local Stripe server failed (see its log)."}
            }
            self._send(500, _json(body))

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        if length > _MAX_BODY:
            raise ValueError("request body too large")
        return self.rfile.read(length) if length else b""

    def _send(
        self,
        status: int,
        body: bytes,
        content_type: str = "application/json",
        headers: dict[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-cache, no-store")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _api_key(self) -> str:
        header = self.headers.get("Authorization", "")
        key = ""
        if header.startswith("Bearer "):
            key = header.removeprefix("Bearer ").strip()
        elif header.startswith("Basic "):
            try:
                key = base64.b64decode(header.removeprefix("Basic ")).decode().split(":", 1)[0]
            except (binascii.Error, UnicodeDecodeError):
                key = ""
        if not key:
            raise ApiError(
                401,
                "You did not provide an API key. You need to provide your API key in the Authorization "
                "header, "
                "using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').",
            )
        if not _KEY.match(key):
            raise ApiError(
                401,
                f"Invalid API Key provided: {key[:8]}{'*' * max(0, len(key) - 12)}{key[-4:]}",
                code="api_key_invalid",
            )
        return key

    def _api(self, method: str, path: str, query: str, raw: bytes) -> None:
        app = self.server.app
        request_id = new_id("req_", 14)
        headers = {
            "Request-Id": request_id,
            "Stripe-Version": self.headers.get("Stripe-Version") or API_VERSION,
        }
        with app.store.lock:
            app.store.requests[f"{method} {path}"] += 1
        try:
            api_key = self._api_key()
            if self.headers.get("Stripe-Account"):
                raise ApiError(
                    400,
                    "The local Stripe server does not make requests on behalf of connected accounts "
                    "(the Stripe-Account header). Use destination charges and transfers.",
                )
            fault = app.faults.take(method, path)
            if fault is not None and fault.delay_ms:
                app.stopping.wait(fault.delay_ms / 1000)
            if fault is not None and fault.status is not None and not fault.after:
                raise fault.error()
            content_type = self.headers.get("Content-Type", "").split(";")[0].strip()
            if method == "POST" and raw and content_type != "application/x-www-form-urlencoded":
                raise ApiError(400, "Stripe's v1 API takes application/x-www-form-urlencoded bodies.")
            try:
                text = raw.decode() if method == "POST" else query
            except UnicodeDecodeError:
                raise ApiError(400, "The request body is not UTF-8.") from None
            status, body, extra = answer_api(
                app.store,
                api_key=api_key,
                method=method,
                path=path,
                params=decode(text),
                idempotency_key=self.headers.get("Idempotency-Key"),
                request_id=request_id,
            )
            headers.update(extra)
            if method != "GET":
                app.changed()
            if fault is not None and fault.status is not None and fault.after:
                raise fault.error()
        except ApiError as error:
            status, body = error.status, _json(error.body())
            headers.update(error.headers)
        self._send(status, body, headers=headers)

    def _page(self, method: str, session_id: str, raw: bytes) -> None:
        form = (
            dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
            if method == "POST"
            else {}
        )
        page = checkout_page.handle(self.server.app.store, method, session_id.strip("/"), form)
        if method != "GET":
            self.server.app.changed()
        self._send(page.status, page.body, "text/html; charset=utf-8", _page_headers(page.location))

    def _invoice_page(self, method: str, path: str, raw: bytes) -> None:
        form = (
            dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
            if method == "POST"
            else {}
        )
        document = invoice_page.handle(self.server.app.store, method, path, form)
        if method != "GET":
            self.server.app.changed()
        self._send(document.status, document.body, document.content_type, _page_headers(document.location))

    def _control(self, method: str, path: str, raw: bytes) -> None:
        try:
            body = json.loads(raw) if raw.strip() else {}
        except json.JSONDecodeError:
            self._send(
                400, _json({"error": {"type": "invalid_request_error", "message": "Body must be JSON."}})
            )
            return
        if not isinstance(body, dict):
            body = {}
        status, answer = control.handle(self.server.app, method, path, body)
        if method != "GET":
            self.server.app.changed()
        self._send(status, _json(answer))


class LocalStripe:
    """The local Stripe server, run in threads of this process.

    `start()` binds (port 0 picks a free one) and serves; `url` is its base address, for the
    SDK's `base_addresses={"api": url}`. Events go to `webhook_url`, signed with
    `webhook_secret` (a new `whsec_…` when none is given). The clock runs with real time unless
    `frozen_clock` (tests), when only `/_control/clock/advance` moves it.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        public_url: str | None = None,
        webhook_url: str | None = None,
        webhook_secret: str | None = None,
        state_file: Path | None = None,
        tick_interval: float | None = 1.0,
        webhook_retry_base: float = 2.0,
        webhook_retry_max: float = 300.0,
        webhook_max_attempts: int = 15,
        webhook_timeout: float = 10.0,
        log_requests: bool = False,
        frozen_clock: bool = False,
    ) -> None:
        self.httpd = _HTTPServer((host, port), self)
        bound_port = self.httpd.server_address[1]
        self.url = (public_url or f"http://{host}:{bound_port}").rstrip("/")
        self.log_requests = log_requests
        self.store = Store(public_url=self.url, frozen_clock=frozen_clock)
        self.faults = Faults()
        self.webhooks = WebhookDeliverer(
            self.store,
            url=webhook_url,
            secret=webhook_secret or f"whsec_{secrets.token_hex(24)}",
            retry_base=webhook_retry_base,
            retry_max=webhook_retry_max,
            max_attempts=webhook_max_attempts,
            timeout=webhook_timeout,
            log=self._log if log_requests else None,
        )
        self.stopping = threading.Event()
        self.tick_interval = tick_interval
        self.state_file = state_file
        self._changes = 0
        self._saved = 0
        self._save_lock = threading.Lock()
        if state_file is not None and state_file.exists():
            from stripe_local.state import load

            load(self.store, state_file)
            # Events a webhook had not yet acknowledged before the restart go out again.
            for event in self.store.events:
                if event.pending_webhooks:
                    self.webhooks.enqueue(event)
        self._threads = [
            threading.Thread(
                target=self.httpd.serve_forever,
                kwargs={"poll_interval": 0.05},
                name="stripe-local-http",
                daemon=True,
            ),
            threading.Thread(target=self._ticker, name="stripe-local-clock", daemon=True),
        ]

    @staticmethod
    def _log(message: str) -> None:
        sys.stderr.write(f"stripe-local: {message}\n")

    @property
    def webhook_secret(self) -> str:
        return self.webhooks.secret

    def changed(self) -> None:
        """Something may have changed: the ticker saves the state file (when there is one)."""
        with self._save_lock:
            self._changes += 1

    def start(self) -> LocalStripe:
        for thread in self._threads:
            thread.start()
        self.webhooks.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self.webhooks.stop()
        for thread in self._threads:
            if thread.is_alive():
                thread.join(timeout=5)
        self.save()

    def save(self) -> None:
        from stripe_local.state import save

        with self._save_lock:
            if self.state_file is None or self._saved == self._changes:
                return
            changes = self._changes
        save(self.store, self.state_file)
        with self._save_lock:
            self._saved = max(self._saved, changes)

    def _ticker(self) -> None:
        while not self.stopping.wait(self.tick_interval or 3600):
            if self.tick_interval:
                with self.store.lock:
                    tick(self.store)
            self.save()

    def __enter__(self) -> LocalStripe:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def client(
        self, api_key: str = DEFAULT_API_KEY, *, max_network_retries: int = 2, timeout: float = 5.0
    ) -> stripe.StripeClient:
        """A `stripe.StripeClient` pointed at this server, with retries and a short timeout."""
        from stripe_local.client import stripe_client

        return stripe_client(self.url, api_key, max_network_retries=max_network_retries, timeout=timeout)

    @property
    def control(self) -> ControlClient:
        from stripe_local.client import ControlClient

        return ControlClient(self.url)


@contextmanager
def running(**options: Any) -> Iterator[LocalStripe]:
    """`with running(webhook_url=..., webhook_secret=...) as server:` — a started server,
    stopped on leaving. Options are `LocalStripe`'s."""
    server = LocalStripe(**options)
    server.start()
    try:
        yield server
    finally:
        server.stop()

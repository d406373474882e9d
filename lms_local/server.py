"""The HTTP server: one LMS kind per server. Moodle: `POST /webservice/rest/server.php`, the
course page `/course/view.php?id=|name=`; Canvas: `/api/v1/…`, the course page `/courses/:id`;
both: `/login/index.php`, the control API under `/_control/`, `/healthz`.

An API request is counted, subjected to any injected fault (a wait, then an error status), and
answered under the store's lock. `--latency-ms` delays every API answer (a slow LMS).
"""

from __future__ import annotations

import json
import logging
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.cookies import CookieError, SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from lms_local import canvas, control, moodle, oidc, pages
from lms_local.errors import CanvasError, MoodleError
from lms_local.params import decode
from lms_local.store import Fault, Store

logger = logging.getLogger("lms_local")

KINDS = ("moodle", "canvas")
DEFAULT_TOKEN = "lms-local-token"  # noqa: S105 - the double's default, documented
MOODLE_ENDPOINT = "/webservice/rest/server.php"
_MAX_BODY = 1024 * 1024


def _json(body: Any) -> bytes:
    return json.dumps(body).encode()


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], app: LocalLms) -> None:
        self.app = app
        super().__init__(address, _Handler)


class _Handler(BaseHTTPRequestHandler):
    server: _HTTPServer
    protocol_version = "HTTP/1.1"
    server_version = "lms-local/1"
    timeout = 120
    disable_nagle_algorithm = True

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.app.log_requests:
            sys.stderr.write(f"lms-local ({self.server.app.kind}): {format % args}\n")

    def _dispatch(self, method: str) -> None:
        app = self.server.app
        try:
            url = urlsplit(self.path)
            raw = self._read_body()
            if url.path.startswith("/_control/"):
                self._control(method, url.path, raw)
            elif url.path in ("/", "/healthz"):
                self._send(200, _json({"status": "ok", "server": "lms-local", "kind": app.kind}))
            elif url.path == "/login/index.php":
                query = dict(parse_qsl(url.query))
                issuer = app.issuer if app.kind == "moodle" else None
                page = pages.login_page(
                    next_url=query.get("next", ""),
                    login_url=app.login_url,
                    issuer_name=issuer.name if issuer else "",
                )
                self._send(200, page, "text/html; charset=utf-8")
            elif app.kind == "moodle" and url.path == oidc.START:
                self._sign_in_start(dict(parse_qsl(url.query)))
            elif app.kind == "moodle" and url.path == oidc.CALLBACK:
                self._sign_in_finish()
            elif app.kind == "moodle" and url.path == MOODLE_ENDPOINT:
                self._moodle(method, url.query, raw)
            elif app.kind == "moodle" and url.path == "/course/view.php":
                query = dict(parse_qsl(url.query))
                with app.store.lock:
                    course = app.store.course_by(
                        "id" if "id" in query else "shortname", query.get("id") or query.get("name", "")
                    )
                    self._course_page(course, query, url.path + "?" + url.query)
            elif app.kind == "canvas" and url.path.startswith("/api/v1/"):
                self._canvas(method, url.path, url.query, raw)
            elif app.kind == "canvas" and url.path.startswith("/courses/"):
                query = dict(parse_qsl(url.query))
                ref = url.path.removeprefix("/courses/").strip("/")
                with app.store.lock:
                    course = app.store.courses.get(int(ref)) if ref.isdigit() else None
                    self._course_page(course, query, url.path)
            else:
                self._send(404, _json({"errors": [{"message": "The specified resource does not exist."}]}))
        except ConnectionError:
            self.close_connection = True
        except Exception:
            logger.exception("lms-local failed on %s %s", method, self.path)
            self._send(500, _json({"errors": [{"message": "The local LMS failed (see its log)."}]}))

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

    def _course_page(self, course: Any, query: dict[str, str], here: str) -> None:
        app = self.server.app
        session = app.sessions.get(self._cookie(oidc.COOKIE))
        status, body, location = pages.course_page(
            app.store,
            kind=app.kind,
            course=course,
            user_ref=query.get("user", ""),
            user_id=session.user_id if session else None,
            here=here,
            login_url=app.login_url,
        )
        self._send(status, body, "text/html; charset=utf-8", {"Location": location} if location else None)

    def _cookie(self, name: str) -> str:
        jar = SimpleCookie()
        try:
            jar.load(self.headers.get("Cookie") or "")
        except CookieError:
            return ""
        morsel = jar.get(name)
        return morsel.value if morsel else ""

    def _session(self) -> tuple[oidc.Session, dict[str, str]]:
        """The browser's session, and the header that sets its cookie when it is new."""
        app = self.server.app
        session = app.sessions.get(self._cookie(oidc.COOKIE))
        if session is not None:
            return session, {}
        key, session = app.sessions.new()
        return session, {"Set-Cookie": f"{oidc.COOKIE}={key}; Path=/; HttpOnly; SameSite=Lax"}

    def _sign_in_start(self, query: dict[str, str]) -> None:
        app = self.server.app
        if app.issuer is None:
            self._send(404, pages.problem("No OAuth 2 service is set up in this Moodle."), "text/html")
            return
        session, headers = self._session()
        try:
            location = oidc.start(app.issuer, site=app.url, session=session, wants=query.get("wantsurl", "/"))
        except (OSError, ValueError, KeyError) as error:  # its discovery document could not be read
            logger.warning("lms-local: sign-in could not start: %s", error)
            self._send(502, pages.problem("The identity provider could not be reached."), "text/html")
            return
        self._send(302, b"", "text/html", {**headers, "Location": location})

    def _sign_in_finish(self) -> None:
        app = self.server.app
        session = app.sessions.get(self._cookie(oidc.COOKIE))
        if app.issuer is None or session is None:
            self._send(400, pages.problem("This sign-in is not one this site started."), "text/html")
            return
        try:
            claims, wants = oidc.finish(
                app.issuer, site=app.url, session=session, callback=app.url + self.path
            )
        except oidc.SignInFailed as failed:
            self._send(403, pages.problem(str(failed)), "text/html; charset=utf-8")
            return
        with app.store.lock:
            user = app.store.user_for_login(subject=str(claims["sub"]), email=str(claims.get("email", "")))
        if user is None:
            self._send(
                403,
                pages.problem("You signed in, but this Moodle has no account for you yet."),
                "text/html; charset=utf-8",
            )
            return
        session.user_id = user.id
        self._send(302, b"", "text/html", {"Location": wants})

    def _fault(self, counted: str, name: str) -> Fault | None:
        """Count the call; wait as the server's latency and any fault matching `name` say; the
        fault, when it has a status."""
        app = self.server.app
        with app.store.lock:
            app.store.requests[counted] += 1
            fault = app.store.take_fault(name)
        delay = app.latency_ms + (fault.delay_ms if fault else 0)
        if delay:
            app.stopping.wait(delay / 1000)
        return fault if fault is not None and fault.status is not None else None

    def _moodle(self, method: str, query: str, raw: bytes) -> None:
        app = self.server.app
        params = decode(query, raw.decode("utf-8", "replace")) if method == "POST" else decode(query)
        name = params.get("wsfunction") if isinstance(params.get("wsfunction"), str) else ""
        fault = self._fault(str(name), str(name))
        if fault is not None:
            # What a web server in front of PHP answers: a status and a page, not web-service JSON.
            self._send(fault.status or 500, f"Injected fault: HTTP {fault.status}".encode(), "text/plain")
            return
        if params.get("moodlewsrestformat") != "json":
            # Moodle's default REST format is XML; the double speaks JSON only and says so.
            body = (
                b"<?xml version='1.0' encoding='UTF-8' ?>\n<EXCEPTION class='invalid_parameter_exception'>"
                b"<MESSAGE>lms_local answers moodlewsrestformat=json only</MESSAGE></EXCEPTION>"
            )
            self._send(200, body, "application/xml; charset=utf-8")
            return
        try:
            with app.store.lock:
                answer = moodle.answer(app.store, token=app.token, params=params, site=app.url)
        except MoodleError as error:
            answer = error.body()
        self._send(200, _json(answer))

    def _canvas(self, method: str, path: str, query: str, raw: bytes) -> None:
        app = self.server.app
        fault = self._fault(f"{method} {path}", path)
        if fault is not None:
            if fault.rate_limit:
                self._send(
                    403,
                    b"403 Forbidden (Rate Limit Exceeded)",
                    "text/plain",
                    {"X-Rate-Limit-Remaining": "0.0"},
                )
            else:
                self._send(fault.status or 500, _json({"errors": [{"message": "Injected fault"}]}))
            return
        text = raw.decode("utf-8", "replace") if method != "GET" else ""
        params = decode(query, text)
        headers = {k.lower(): v for k, v in self.headers.items()}
        try:
            with app.store.lock:
                status, body, extra = canvas.answer(
                    app.store,
                    token=app.token,
                    method=method,
                    path=path,
                    params=params,
                    site=app.url,
                    headers=headers,
                )
        except CanvasError as error:
            status, body, extra = error.status, error.body(), error.headers
        self._send(status, _json(body), "application/json; charset=utf-8", extra)

    def _control(self, method: str, path: str, raw: bytes) -> None:
        try:
            body = json.loads(raw) if raw.strip() else {}
        except json.JSONDecodeError:
            self._send(400, _json({"error": "Body must be JSON."}))
            return
        status, answer = control.handle(self.server.app, method, path, body if isinstance(body, dict) else {})
        self._send(status, _json(answer))


class LocalLms:
    """A local Moodle or Canvas double, run in threads of this process.

    `start()` binds (port 0 picks a free one) and serves; `url` is the LMS's base address (what
    a connection's "LMS address" holds). `token` is the one web-service / API token it accepts.
    """

    def __init__(
        self,
        *,
        kind: str,
        host: str = "127.0.0.1",
        port: int = 0,
        token: str = DEFAULT_TOKEN,
        latency_ms: int = 0,
        login_url: str = "",
        log_requests: bool = False,
    ) -> None:
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}")
        self.kind = kind
        self.token = token
        self.latency_ms = latency_ms
        self.login_url = login_url
        self.log_requests = log_requests
        self.store = Store()
        # Moodle's "log in with OAuth 2" (lms_local.oidc): set through the control API.
        self.issuer: oidc.Issuer | None = None
        self.sessions = oidc.Sessions()
        self.stopping = threading.Event()
        self.httpd = _HTTPServer((host, port), self)
        self.url = f"http://{host}:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(
            target=self.httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"lms-local-{kind}",
            daemon=True,
        )

    def start(self) -> LocalLms:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def __enter__(self) -> LocalLms:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def control(self) -> Any:
        from lms_local.client import ControlClient

        return ControlClient(self.url)


@contextmanager
def running(**options: Any) -> Iterator[LocalLms]:
    """`with running(kind="moodle", token="...") as lms:` — a started double, stopped on leaving."""
    server = LocalLms(**options)
    server.start()
    try:
        yield server
    finally:
        server.stop()

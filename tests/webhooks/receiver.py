"""A real HTTP server in a thread, standing in for a unit's system: it answers 2xx, or fails
(500), or hangs past the sender's timeout, as a test tells it, and keeps what it took."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    body: bytes
    headers: dict[str, str]
    answered: int

    @property
    def event(self) -> dict[str, Any]:
        found: dict[str, Any] = json.loads(self.body)
        return found


@dataclass
class Receiver:
    url: str = ""
    mode: str = "ok"  # "ok" | "fail" | "hang"
    hang_seconds: float = 3.0
    delay_seconds: float = 0.0
    fail_body: bytes = b"Internal error"
    requests: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def accepted(self) -> list[Received]:
        with self.lock:
            return [r for r in self.requests if 200 <= r.answered < 300]


@contextmanager
def running() -> Iterator[Receiver]:
    receiver = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            mode = receiver.mode
            if mode == "hang":
                time.sleep(receiver.hang_seconds)
            if receiver.delay_seconds:
                time.sleep(receiver.delay_seconds)
            status = 200 if mode == "ok" else 500
            answer = b'{"received": true}' if status == 200 else receiver.fail_body
            with receiver.lock:
                receiver.requests.append(Received(body=body, headers=dict(self.headers), answered=status))
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)
            except OSError:  # the sender gave up waiting (hang)
                pass

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

"""Delivering events to the webhook endpoint, signed as Stripe signs them.

Each event is POSTed as JSON with `Stripe-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of
"<t>.<body>" keyed with the endpoint secret>` (what `stripe.Webhook.construct_event` verifies;
`t` is the real time, not the server's adjustable clock, so the SDK's 300-second tolerance
holds). Anything but a 2xx answer — or no answer — is retried with exponential back-off, up to
`max_attempts`. One thread delivers, oldest due first; a retry does not hold up other events.
"""

from __future__ import annotations

import heapq
import hmac
import itertools
import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import asdict, dataclass
from hashlib import sha256
from typing import Any

from stripe_local.models import Event
from stripe_local.resources.events import render_event
from stripe_local.store import Store

_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def sign(payload: str, secret: str, timestamp: int) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.{payload}".encode(), sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def check_url(url: str | None) -> str | None:
    if url is not None and not url.startswith(("http://", "https://")):
        raise ValueError(f"the webhook URL must be http:// or https://, not {url!r}")
    return url


@dataclass
class Delivery:
    event_id: str
    event_type: str
    attempt: int
    status: int | None
    error: str | None
    response_body: str
    delivered_at: float

    @property
    def succeeded(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class WebhookDeliverer:
    def __init__(
        self,
        store: Store,
        *,
        url: str | None,
        secret: str,
        retry_base: float = 2.0,
        retry_max: float = 300.0,
        max_attempts: int = 15,
        timeout: float = 10.0,
        log: Callable[[str], None] | None = None,
    ) -> None:
        self.store = store
        self.log = log
        self.url = check_url(url)
        self.secret = secret
        self.retry_base = retry_base
        self.retry_max = retry_max
        self.max_attempts = max_attempts
        self.timeout = timeout
        self.deliveries: list[Delivery] = []
        self._queue: list[tuple[float, int, str, int]] = []
        self._order = itertools.count()
        self._busy = 0
        self._stopping = False
        self._condition = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="stripe-local-webhooks", daemon=True)
        store.listeners.append(self.enqueue)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        with self._condition:
            self._stopping = True
            self._condition.notify_all()
        if self._thread.is_alive():
            self._thread.join(timeout=self.timeout + 1)

    def configure(self, *, url: str | None, secret: str | None = None) -> None:
        check_url(url)
        with self._condition:
            self.url = url
            if secret is not None:
                self.secret = secret

    def clear(self) -> None:
        with self._condition:
            self._queue.clear()
            self.deliveries.clear()
            self._condition.notify_all()

    def enqueue(self, event: Event) -> None:
        """Called by the store (under its lock) for every new event."""
        with self._condition:
            if self.url is None:
                return
            event.pending_webhooks = 1
            heapq.heappush(self._queue, (time.monotonic(), next(self._order), event.id, 1))
            self._condition.notify_all()

    def pending(self) -> int:
        with self._condition:
            return len(self._queue) + self._busy

    def wait_idle(self, timeout: float) -> bool:
        """Wait until nothing is queued or being delivered (retries scheduled later count as
        queued). True when idle."""
        deadline = time.monotonic() + timeout
        with self._condition:
            while self._queue or self._busy:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._condition.wait(remaining)
            return True

    def report(self) -> list[dict[str, Any]]:
        with self._condition:
            return [{**asdict(delivery), "succeeded": delivery.succeeded} for delivery in self.deliveries]

    def _run(self) -> None:
        while True:
            with self._condition:
                while not self._stopping and (not self._queue or self._queue[0][0] > time.monotonic()):
                    wait = self._queue[0][0] - time.monotonic() if self._queue else None
                    self._condition.wait(wait)
                if self._stopping:
                    return
                _, _, event_id, attempt = heapq.heappop(self._queue)
                self._busy += 1
                url, secret = self.url, self.secret
            try:
                self._deliver(event_id, attempt, url, secret)
            finally:
                with self._condition:
                    self._busy -= 1
                    self._condition.notify_all()

    def _deliver(self, event_id: str, attempt: int, url: str | None, secret: str) -> None:
        with self.store.lock:
            event = self.store.events.get(event_id)
            if event is None or url is None:
                return
            payload = json.dumps(render_event(self.store, event), indent=2)
        # Only http(s) addresses get here: `configure` and the constructor refuse others.
        request = urllib.request.Request(  # noqa: S310
            url,
            data=payload.encode(),
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "Stripe-Signature": sign(payload, secret, int(time.time())),
                "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
                "Cache-Control": "no-cache",
            },
        )
        status: int | None = None
        error: str | None = None
        body = b""
        try:
            with _DIRECT.open(request, timeout=self.timeout) as answer:
                status, body = answer.status, answer.read(2000)
        except urllib.error.HTTPError as failure:
            status, body = failure.code, failure.read(2000)
            failure.close()
        except (OSError, ValueError) as failure:
            error = f"{type(failure).__name__}: {failure}"
        delivery = Delivery(
            event_id=event_id,
            event_type=event.type,
            attempt=attempt,
            status=status,
            error=error,
            response_body=body.decode("utf-8", "replace"),
            delivered_at=time.time(),
        )
        if self.log is not None:
            outcome = str(status) if status is not None else error
            self.log(f"webhook {event.type} {event_id} attempt {attempt} → {outcome}")
        with self.store.lock, self._condition:
            self.deliveries.append(delivery)
            if delivery.succeeded:
                event.pending_webhooks = 0
            elif attempt < self.max_attempts and not self._stopping:
                delay = min(self.retry_base * 2 ** (attempt - 1), self.retry_max)
                heapq.heappush(
                    self._queue, (time.monotonic() + delay, next(self._order), event_id, attempt + 1)
                )

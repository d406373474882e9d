"""Helpers for the local Stripe server's tests: a webhook receiver and quick ways to a paid
checkout session."""

from __future__ import annotations

import json
import threading
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import stripe

from stripe_local.server import DEFAULT_API_KEY, LocalStripe

SECRET = "whsec_local_stripe_tests_0123456789"


@dataclass
class Received:
    body: bytes
    signature: str | None
    answered: int


@dataclass
class Receiver:
    """A webhook endpoint in a thread. `answers` are the statuses of the next deliveries (then
    200): `Receiver(answers=[500, 500])` fails twice."""

    answers: list[int] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    url: str = ""

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with lock:
                    status = receiver.answers.pop(0) if receiver.answers else 200
                    receiver.received.append(Received(body, self.headers.get("Stripe-Signature"), status))
                payload = b'{"received": true}'
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}/payments/stripe/webhook/"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def events(self) -> list[dict[str, Any]]:
        return [json.loads(item.body) for item in self.received]

    def types(self) -> list[str]:
        return [event["type"] for event in self.events()]


def line_item(
    amount: int, name: str = "Data Analytics Fundamentals", currency: str = "usd"
) -> dict[str, Any]:
    return {
        "price_data": {"currency": currency, "unit_amount": amount, "product_data": {"name": name}},
        "quantity": 1,
    }


def create_session(client: stripe.StripeClient, amount: int = 4900, **extra: Any) -> stripe.checkout.Session:
    params: dict[str, Any] = {
        "mode": "payment",
        "success_url": "http://shop.test/paid?session={CHECKOUT_SESSION_ID}",
        "cancel_url": "http://shop.test/cancelled",
        "line_items": [line_item(amount)],
        **extra,
    }
    return client.v1.checkout.sessions.create(params=params)  # type: ignore[arg-type]


def paid_charge(
    server: LocalStripe,
    client: stripe.StripeClient,
    amount: int = 4900,
    card: str = "4242424242424242",
    **extra: Any,
) -> stripe.Charge:
    session = create_session(client, amount, **extra)
    answer = server.control.pay(session.id, card)
    assert answer["paid"], answer
    return client.v1.charges.retrieve(answer["charge"]["id"])


def raw(server: LocalStripe, path: str, *, method: str = "GET", form: str | None = None) -> tuple[int, Any]:
    """The server's JSON exactly as sent, without the SDK's conversions."""
    request = urllib.request.Request(
        f"{server.url}{path}",
        data=form.encode() if form is not None else None,
        method=method,
        headers={
            "Authorization": f"Bearer {DEFAULT_API_KEY}",
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        with error:
            return error.code, json.loads(error.read())


def invoice_with_items(
    client: stripe.StripeClient,
    amounts: list[int],
    *,
    currency: str = "usd",
    days_until_due: int = 30,
    email: str = "billing@employer.test",
    **extra: Any,
) -> stripe.Invoice:
    """A new customer and a draft send_invoice invoice with one item per amount."""
    customer = client.v1.customers.create(params={"email": email, "name": "Employer Ltd"})
    params: dict[str, Any] = {
        "customer": customer.id,
        "collection_method": "send_invoice",
        "days_until_due": days_until_due,
        **extra,
    }
    invoice = client.v1.invoices.create(params=params)  # type: ignore[arg-type]
    for index, amount in enumerate(amounts):
        client.v1.invoice_items.create(
            params={
                "customer": customer.id,
                "invoice": invoice.id,
                "amount": amount,
                "currency": currency,
                "description": f"Seat {index + 1}",
            }
        )
    return client.v1.invoices.retrieve(invoice.id)


def item_of(line: stripe.InvoiceLineItem) -> str:
    """The id of the invoice item behind an invoice line."""
    assert line.parent is not None
    assert line.parent.invoice_item_details is not None
    return line.parent.invoice_item_details.invoice_item

from __future__ import annotations

from collections.abc import Iterator

import pytest
import stripe

import stripe_local
from stripe_local.client import ControlClient
from stripe_local.server import LocalStripe
from tests.stripe_local.support import SECRET, Receiver


@pytest.fixture
def server() -> Iterator[LocalStripe]:
    """A fresh server per test (it starts in milliseconds), its clock frozen: the tests move it."""
    with stripe_local.running(
        webhook_secret=SECRET,
        tick_interval=None,
        frozen_clock=True,
        webhook_retry_base=0.05,
        webhook_retry_max=0.2,
    ) as running:
        yield running


@pytest.fixture
def sdk(server: LocalStripe) -> stripe.StripeClient:
    """The real SDK pointed at the server. (Not `client`: that is pytest-django's test client.)"""
    return server.client(max_network_retries=2, timeout=5)


@pytest.fixture
def control(server: LocalStripe) -> ControlClient:
    return server.control


@pytest.fixture
def receiver(server: LocalStripe) -> Iterator[Receiver]:
    """A webhook endpoint the server delivers to."""
    endpoint = Receiver()
    endpoint.start()
    server.control.set_webhook(endpoint.url, SECRET)
    yield endpoint
    endpoint.stop()

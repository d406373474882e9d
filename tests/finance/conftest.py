from __future__ import annotations

from collections.abc import Iterator

import pytest
import stripe

import stripe_local
from stripe_local.client import ControlClient
from stripe_local.server import LocalStripe


@pytest.fixture
def stripe_server() -> Iterator[LocalStripe]:
    """A fresh local Stripe per test, its clock frozen: the tests move it."""
    with stripe_local.running(tick_interval=None, frozen_clock=True) as running:
        yield running


@pytest.fixture
def sdk(stripe_server: LocalStripe) -> stripe.StripeClient:
    return stripe_server.client()


@pytest.fixture
def control(stripe_server: LocalStripe) -> ControlClient:
    return stripe_server.control

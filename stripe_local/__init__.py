"""A local Stripe-compatible server for development and tests (never production).

The real `stripe` SDK is pointed at it (`base_addresses={"api": server.url}`); it keeps state for
the calls Microcred makes, pays checkout sessions and invoices with Stripe's test cards on
hosted pages, honours idempotency keys, can be told to fail, and delivers signed events to a
webhook. See docs/local-stripe.md.

    with stripe_local.running(webhook_url=..., webhook_secret="whsec_...") as server:
        client = server.client()
        server.control.pay(session.id, "4242424242424242")
"""

from stripe_local.cards import TEST_CARDS
from stripe_local.server import DEFAULT_API_KEY, LocalStripe, running

__all__ = ["DEFAULT_API_KEY", "TEST_CARDS", "LocalStripe", "running"]

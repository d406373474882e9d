"""The payments fixtures (the local Stripe, a shop of Alpha University with Stripe set up)."""

from tests.payments.conftest import eager_tasks, shop, stripe_server

__all__ = ["eager_tasks", "shop", "stripe_server"]

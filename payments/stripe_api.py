"""The one door to Stripe: a `StripeClient` per tenant, and the few calls payments makes, with
idempotency keys from our own rows and Stripe's errors mapped to ours.

Retryable (connection, timeout, 5xx, 429) → PaymentUnavailable; anything else is a bug or a
refusal and propagates as the SDK's error.
"""

from __future__ import annotations

from typing import Any

import stripe
from django.conf import settings
from django.utils.translation import gettext as _

from payments import secrets
from payments.errors import PaymentUnavailable, StripeNotConfigured
from payments.models import TenantStripeSettings
from tenants.models import Tenant

RETRYABLE = (stripe.APIConnectionError, stripe.RateLimitError, stripe.APIError)


def stripe_client_for(tenant: Tenant) -> stripe.StripeClient:
    """The tenant's own Stripe: retries 2, a short timeout, the local Stripe when
    settings.STRIPE_API_BASE is set (dev and tests)."""
    found = TenantStripeSettings.objects.filter(tenant=tenant).first()
    key = secrets.secret_key(found) if found else ""
    if not key:
        raise StripeNotConfigured(
            _("%(name)s takes no payments yet: its Stripe keys are not set.") % {"name": tenant.name}
        )
    base = settings.STRIPE_API_BASES.get(tenant.slug) or settings.STRIPE_API_BASE
    kwargs: dict[str, Any] = {}
    if base:
        kwargs["base_addresses"] = {"api": base}
    return stripe.StripeClient(
        key,
        max_network_retries=2,
        http_client=stripe.RequestsClient(timeout=settings.STRIPE_TIMEOUT_SECONDS),
        **kwargs,
    )


def webhook_secret_for(tenant: Tenant) -> str:
    found = TenantStripeSettings.objects.filter(tenant=tenant).first()
    return secrets.webhook_secret(found) if found else ""


def unavailable(exc: stripe.StripeError) -> PaymentUnavailable:
    return PaymentUnavailable(
        _("The payment service did not answer just now. Nothing was charged; please try again in a minute.")
    )

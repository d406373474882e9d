"""Stripe webhooks addressed by tenant slug, answered before host validation and tenant lookup
(like /healthz): `POST /payments/stripe/webhook/<tenant-slug>/` on any host name.

The usual address is `/payments/stripe/webhook/` on the tenant's own host (found like every
page). The slug form is for a Stripe account whose endpoint cannot name the tenant's host — the
local Stripe of `make run` delivers to 127.0.0.1 for both demo tenants. The tenant's own webhook
secret verifies either.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

WEBHOOK_BY_SLUG = re.compile(r"^/payments/stripe/webhook/(?P<slug>[a-z0-9][a-z0-9-]*)/$")


class StripeWebhookMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        match = WEBHOOK_BY_SLUG.match(request.path_info)
        if match is None:
            return self.get_response(request)
        from payments.views import stripe_webhook_for_slug

        return stripe_webhook_for_slug(request, match["slug"])

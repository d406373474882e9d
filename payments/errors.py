"""Refusals and failures of payments: `message` for people, `code` for programs."""

from __future__ import annotations

from core.errors import MicrocredError


class StripeNotConfigured(MicrocredError):
    """The tenant has no Stripe keys (or they cannot be read)."""

    code = "payments_not_configured"
    status = 503


class PaymentUnavailable(MicrocredError):
    """Stripe did not answer or refused for now (5xx, 429, timeout): the learner may try again."""

    code = "payment_unavailable"
    status = 503


class CheckoutRefused(MicrocredError):
    """These enrollments cannot be paid for (not held, not yours, mixed currencies, …)."""

    code = "checkout_refused"
    status = 409


class WebhookRefused(MicrocredError):
    """A webhook request that is not a verified Stripe event of this tenant: 400, nothing stored."""

    code = "webhook_refused"
    status = 400


class RefundRefused(MicrocredError):
    """This refund cannot be made: more than is left to refund, nothing paid, not yours, …"""

    code = "refund_refused"
    status = 409

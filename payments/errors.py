"""Refusals and failures of payments: `message` for people, `code` for programs."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

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


class PaymentsBusy(PaymentUnavailable):
    """A row payments must change stayed locked by another request for too long (the lock
    timeout ran out): nothing changed; try again in a moment (a job retries by itself)."""

    code = "payments_busy"
    status = 503

    def __init__(self, message: str = "", **kwargs: Any) -> None:
        super().__init__(
            message
            or _("Someone else is changing this payment right now. Nothing changed; try again in a moment."),
            **kwargs,
        )

"""What payments hears from enrollment (registered by PaymentsConfig.ready)."""

from __future__ import annotations

from core.jobs import enqueue
from enrollment import extensions
from payments.presenters import cancellation_notes


def on_hold_cancelled(*, tenant_id: int, enrollment_id: int) -> None:
    """After commit: a held seat was cancelled; its open checkout is expired by a job. With the
    broker down the cancellation still stands (this runs after its commit) and the minute sweep
    closes the checkout a minute later (settlement.follow_ups_due); a payment made before that
    takes the late-payment path (the seat taken again if free, else refunded)."""
    enqueue("payments.close_checkout_for_cancelled_hold", enrollment_id)


def register() -> None:
    extensions.hold_cancelled_listeners.register("close the checkout", on_hold_cancelled)
    extensions.cancellation_notes_providers.register("refund", cancellation_notes)

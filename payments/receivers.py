"""What payments hears from enrollment (registered by PaymentsConfig.ready)."""

from __future__ import annotations

import logging

from enrollment import extensions
from payments.tasks import checkout_close_for_cancelled_hold

logger = logging.getLogger(__name__)


def on_hold_cancelled(*, tenant_id: int, enrollment_id: int) -> None:
    """After commit: a held seat was cancelled; its open checkout is expired by a job. With the
    broker down the cancellation still stands (this runs after its commit) and the minute sweep
    closes the checkout a minute later (settlement.follow_ups_due); a payment made before that
    takes the late-payment path (the seat taken again if free, else refunded)."""
    try:
        checkout_close_for_cancelled_hold.delay(enrollment_id)
    except Exception:
        logger.exception("could not enqueue closing the checkout of cancelled hold %s", enrollment_id)


def register() -> None:
    extensions.hold_cancelled_listeners.register("close the checkout", on_hold_cancelled)

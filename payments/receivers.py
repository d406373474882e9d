"""What payments hears from enrollment (registered by PaymentsConfig.ready)."""

from __future__ import annotations

from enrollment import extensions
from payments.tasks import checkout_close_for_cancelled_hold


def on_hold_cancelled(*, tenant_id: int, enrollment_id: int) -> None:
    """After commit: a held seat was cancelled; its open checkout is expired by a job."""
    checkout_close_for_cancelled_hold.delay(enrollment_id)


def register() -> None:
    extensions.register_hold_cancelled(on_hold_cancelled)

"""A refund's one checked state change: `requested → processing → succeeded | failed` (then
`resolved` by hand with a note, or retried as a new refund), recorded with who, when, from, to
and why in the same transaction (RefundTransition, append-only)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from core.registry import call_each
from identity.models import User
from payments import hooks
from payments.models import REFUND_MOVES, Refund, RefundState, RefundTransition

R = RefundState


def refund_move(
    refund: Refund,
    to: str,
    *,
    now: datetime,
    actor: User | None = None,
    why: str = "",
    stripe_event_id: str = "",
    fields: Iterable[str] = (),
) -> bool:
    """Move a locked refund to `to` if REFUND_MOVES allows it, recording who, when, from, to, why."""
    if to not in REFUND_MOVES[refund.state]:
        return False
    previous = refund.state
    refund.state = to
    refund.updated_at = now
    if to == R.SUCCEEDED:
        refund.succeeded_at = now
    if to == R.FAILED:
        refund.failed_at = now
    refund.save(update_fields=["state", "updated_at", "succeeded_at", "failed_at", *fields])
    RefundTransition.objects.create(
        refund=refund,
        tenant_id=refund.tenant_id,
        from_state=previous,
        to_state=to,
        actor=actor,
        why=why[:2000],
        stripe_event_id=stripe_event_id,
        at=now,
    )
    if to == R.SUCCEEDED:
        call_each(hooks.refund_succeeded_recorders, refund)
    return True

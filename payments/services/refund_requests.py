"""Asking for a refund, and staff's follow-ups of one that failed.

- refund_request locks the order line and refuses more than is left to refund on it (what was
  paid less every refund requested, processing or succeeded), so concurrent requests can never
  over-refund; the job (refund_execution.refund_execute) is sent after commit, and the minute
  sweep re-finds refunds stuck.
- refund_retry tries a failed refund again as a new refund (a new idempotency key); refund_resolve
  closes it by hand with a note saying how, and the learner is told (refund_notices).
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.jobs import enqueue_after_commit
from core.money import format_money
from identity.models import User
from payments.errors import RefundRefused
from payments.models import OrderStatus, Refund, RefundBatch, RefundRequester, RefundTransition
from payments.selectors import refunded_minor
from payments.services import locks
from payments.services.refund_states import R, refund_move
from tenants.models import Tenant


def refund_request(
    *,
    tenant: Tenant,
    line_id: int,
    amount_minor: int,
    reason: str,
    requested_by_kind: str,
    requested_by: User | None = None,
    cancelled_enrollment: bool = False,
    batch: RefundBatch | None = None,
    idempotency_key: str = "",
    now: datetime | None = None,
    bulk: bool = False,
) -> Refund:
    """Ask for `amount_minor` back on one paid order line. Refused (nothing written) when the
    amount is not positive or exceeds what is left to refund on the line. Must be called in a
    transaction or not: it opens its own; the job is sent after the outermost commit (`bulk`: on
    the rate-limited task of an offering's refunds)."""
    now = now or timezone.now()
    reason = reason.strip()
    if not reason:
        message = _("Say why: it is kept with the refund.")
        raise RefundRefused(message, code="refund_reason_missing", fields={"reason": [message]})
    if not isinstance(amount_minor, int) or isinstance(amount_minor, bool) or amount_minor <= 0:
        message = _("Refund a positive amount.")
        raise RefundRefused(message, code="refund_amount_invalid", fields={"amount_minor": [message]})
    with transaction.atomic():
        line = locks.lock_order_line(tenant=tenant, line_id=line_id)
        if line is None:
            raise RefundRefused(_("There is no such order line."), code="refund_line_unknown")
        if line.order.status != OrderStatus.PAID:
            raise RefundRefused(
                _("This order was not paid: there is nothing to refund."), code="refund_unpaid"
            )
        left = line.amount_minor - refunded_minor(line)
        if amount_minor > left:
            message = _("At most %(left)s is left to refund on this line.") % {
                "left": format_money(max(left, 0), line.currency)
            }
            raise RefundRefused(message, code="refund_too_much", fields={"amount_minor": [message]})
        refund = Refund.objects.create(
            tenant=tenant,
            line=line,
            amount_minor=amount_minor,
            currency=line.currency,
            reason=reason,
            requested_by_kind=requested_by_kind,
            requested_by=requested_by,
            cancelled_enrollment=cancelled_enrollment,
            batch=batch,
            idempotency_key=idempotency_key,
            created_at=now,
            updated_at=now,
        )
        RefundTransition.objects.create(
            refund=refund,
            tenant=tenant,
            from_state="",
            to_state=R.REQUESTED,
            actor=requested_by,
            why=reason,
            at=now,
        )
        enqueue_after_commit("payments.refund_bulk" if bulk else "payments.refund", refund.pk)
    return refund


def refund_retry(*, tenant: Tenant, refund_id: int, actor: User, note: str = "") -> Refund:
    """A failed refund tried again: a new refund of the same amount (a new idempotency key, so
    Stripe really tries again); the failed one is resolved, pointing to it."""
    now = timezone.now()
    with transaction.atomic():
        old = locks.lock_refund(tenant=tenant, refund_id=refund_id)
        if old is None:
            raise RefundRefused(_("There is no such refund."), code="refund_unknown")
        if old.state != R.FAILED:
            raise RefundRefused(_("Only a failed refund can be retried."), code="refund_not_failed")
        new = refund_request(
            tenant=tenant,
            line_id=old.line_id,
            amount_minor=old.amount_minor,
            reason=old.reason,
            requested_by_kind=RefundRequester.STAFF,
            requested_by=actor,
            cancelled_enrollment=old.cancelled_enrollment,
            now=now,
        )
        Refund.objects.filter(pk=new.pk).update(retry_of=old)
        old.resolution_note = note.strip() or _("Retried as refund %(id)s.") % {"id": new.pk}
        refund_move(
            old,
            R.RESOLVED,
            now=now,
            actor=actor,
            why=_("Retried as refund %(id)s.") % {"id": new.pk},
            fields=["resolution_note"],
        )
    new.retry_of = old
    return new


def refund_resolve(*, tenant: Tenant, refund_id: int, actor: User, note: str) -> Refund:
    """A failed refund closed by hand (e.g. paid back by bank transfer), with a note saying how;
    the learner is told once (refund_notices.refund_resolution_send)."""
    note = note.strip()
    if not note:
        message = _("Say how it was resolved: the note is kept with the refund.")
        raise RefundRefused(message, code="refund_note_missing", fields={"note": [message]})
    with transaction.atomic():
        refund = locks.lock_refund(tenant=tenant, refund_id=refund_id)
        if refund is None:
            raise RefundRefused(_("There is no such refund."), code="refund_unknown")
        refund.resolution_note = note
        if not refund_move(
            refund, R.RESOLVED, now=timezone.now(), actor=actor, why=note, fields=["resolution_note"]
        ):
            raise RefundRefused(_("Only a failed refund can be resolved by hand."), code="refund_not_failed")
        enqueue_after_commit("payments.refund_resolution", refund.pk)
    return refund

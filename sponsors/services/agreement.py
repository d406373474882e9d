"""The agreement for the seats of a pool nobody redeemed.

When the pool's offering stops taking enrollments (its `enrollment_closes_at`, else its start),
the pool ends (`pool_end`, from beat's `sponsors.end_due` sweep; safe to run again):

1. One transaction, the pool locked: each free seat is marked expired (its code no longer
   works) and given back to the offering; the pool's `ended_at` set, and under the `credit`
   agreement `credited_minor` = free seats × price. The employer's contacts are e-mailed once
   how the pool ended (`sponsors.tell_pool_ended`).
2. Under `credit`, outside any lock, a Stripe credit note for that amount on the pool's invoice
   (idempotency key `pool:<id>:credit:<pre|post>`): on an unpaid invoice it lowers what is due
   (ledger `credit_note`: Dr unit_refunds, Cr unit_receivable); on a paid one the card part is
   refunded to the card (ledger `refund` with the refund's id, which finance reconciles like any
   refund) and the part paid by transfer is paid back by transfer (ledger `credit_note`: Dr
   unit_refunds, Cr bank). When Stripe fails the sweep tries again (the pool is ended, its
   credit note missing).

Under `expire` the seats were paid for: nothing is credited.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from catalog.services import offering_seats_release
from core.jobs import enqueue_after_commit
from core.mail import deliver_now
from ledger.models import TransactionKind
from ledger.services import credit_note_bank_lines, credit_note_lines, ledger_post, refund_lines
from payments import stripe_api
from sponsors.models import PoolSeat, PoolStatus, SeatPool, Unredeemed
from sponsors.services.pools import lock_pool
from tenants.brand import Brand
from tenants.mail import branded_email, site_url

logger = logging.getLogger(__name__)

ENDABLE = (PoolStatus.INVOICED, PoolStatus.OVERDUE, PoolStatus.PAID)
CLAIM_TIMEOUT = timedelta(minutes=10)


def pools_to_end(*, now: datetime | None = None) -> list[int]:
    """Pools whose offering stopped taking enrollments and that are not ended yet, and ended
    pools whose credit note is still missing (the sweep)."""
    now = now or timezone.now()
    closed = Q(offering__enrollment_closes_at__lte=now) | Q(
        offering__enrollment_closes_at__isnull=True, offering__starts_at__lte=now
    )
    due = SeatPool.objects.filter(closed, status__in=ENDABLE, ended_at__isnull=True)
    credit_missing = SeatPool.objects.filter(
        ended_at__isnull=False, credited_minor__gt=0, credit_note_id="", status__in=ENDABLE
    )
    return sorted(
        set(due.values_list("pk", flat=True)[:200]) | set(credit_missing.values_list("pk", flat=True)[:200])
    )


def pool_end(*, pool_id: int, now: datetime | None = None) -> SeatPool | None:
    """End one pool (module doc); None when it is not to end (yet)."""
    now = now or timezone.now()
    found = SeatPool.objects.select_related("tenant").filter(pk=pool_id).first()
    if found is None:
        return None
    tenant = found.tenant
    with transaction.atomic():
        pool = lock_pool(tenant=tenant, pool_id=pool_id)
        if pool is None or pool.status not in ENDABLE:
            return None
        if pool.ended_at is None:
            offering = pool.offering
            closes = offering.enrollment_closes_at or offering.starts_at
            if closes > now:
                return None
            free = list(
                PoolSeat.objects.select_for_update()
                .filter(pool=pool, redeemed_at__isnull=True, expired_at__isnull=True)
                .order_by("pk")
                .values_list("pk", flat=True)
            )
            if free:
                PoolSeat.objects.filter(pk__in=free).update(expired_at=now)
                offering_seats_release(tenant=tenant, offering_id=pool.offering_id, count=len(free))
            pool.ended_at = now
            if pool.unredeemed == Unredeemed.CREDIT:
                pool.credited_minor = len(free) * pool.unit_price_minor
            pool.save(update_fields=["ended_at", "credited_minor"])
            enqueue_after_commit("sponsors.tell_pool_ended", pool.pk)
    if pool.credited_minor and not pool.credit_note_id:
        _credit(pool, now=now)
        pool.refresh_from_db()
    return pool


def _credit(pool: SeatPool, *, now: datetime) -> None:
    tenant = pool.tenant
    amount = pool.credited_minor
    unit_id = pool.offering.microcredential.unit_id
    meta = {"pool": str(pool.pk), "tenant": tenant.slug}
    memo = f"{amount // pool.unit_price_minor} seats not handed out by the enrollment close"
    if pool.status == PoolStatus.PAID:
        invoice = stripe_api.invoice_retrieve(tenant=tenant, invoice_id=pool.stripe_invoice_id).to_dict()
        off_stripe = min(int(invoice.get("amount_paid_off_stripe") or 0), amount)
        note = stripe_api.credit_note_create(
            tenant=tenant,
            invoice_id=pool.stripe_invoice_id,
            amount=amount,
            refund_amount=amount - off_stripe,
            out_of_band_amount=off_stripe,
            memo=memo,
            metadata=meta,
            key=f"pool:{pool.pk}:credit:post",
        )
    else:
        off_stripe = 0
        note = stripe_api.credit_note_create(
            tenant=tenant,
            invoice_id=pool.stripe_invoice_id,
            amount=amount,
            memo=memo,
            metadata=meta,
            key=f"pool:{pool.pk}:credit:pre",
        )
    with transaction.atomic():
        locked = lock_pool(tenant=tenant, pool_id=pool.pk)
        if locked is None or locked.credit_note_id:
            return
        locked.credit_note_id = str(note["id"])
        locked.save(update_fields=["credit_note_id"])
        common = {
            "tenant": tenant,
            "currency": pool.currency,
            "occurred_at": now,
            "order_ref": f"pool:{pool.pk}",
        }
        label = f"Credit note {note.get('number') or note['id']}, {pool.employer.organisation}"[:300]
        if note.get("type") == "post_payment":
            refunds = [r for r in note.get("refunds") or [] if isinstance(r, dict)]
            for r in refunds:
                refund = r.get("refund")
                refund_id = refund.get("id") if isinstance(refund, dict) else refund
                ledger_post(
                    kind=TransactionKind.REFUND,
                    source_ref=str(refund_id),
                    lines=refund_lines(unit_id=unit_id, amount=int(r["amount_refunded"])),
                    memo=label,
                    **common,  # type: ignore[arg-type]
                )
            if off_stripe:
                ledger_post(
                    kind=TransactionKind.CREDIT_NOTE,
                    source_ref=str(note["id"]),
                    lines=credit_note_bank_lines(unit_id=unit_id, amount=off_stripe),
                    memo=label,
                    **common,  # type: ignore[arg-type]
                )
        else:
            ledger_post(
                kind=TransactionKind.CREDIT_NOTE,
                source_ref=str(note["id"]),
                lines=credit_note_lines(unit_id=unit_id, amount=amount),
                memo=label,
                **common,  # type: ignore[arg-type]
            )


def pool_ended_tell(*, pool_id: int, now: datetime | None = None) -> bool:
    """The e-mail to the employer's contacts saying how the pool ended, once (claimed as
    employers.contact_tell claims its row)."""
    now = now or timezone.now()
    claimed = (
        SeatPool.objects.filter(pk=pool_id, end_told_at__isnull=True, ended_at__isnull=False)
        .filter(Q(end_told_claimed_at__isnull=True) | Q(end_told_claimed_at__lt=now - CLAIM_TIMEOUT))
        .update(end_told_claimed_at=now)
    )
    if not claimed:
        return False
    pool = SeatPool.objects.select_related("tenant", "employer__unit", "offering__microcredential__unit").get(
        pk=pool_id
    )
    recipients = sorted(
        {c.user.email for c in pool.employer.contacts.select_related("user")} | {pool.employer.billing_email}
    )
    expired = PoolSeat.objects.filter(pool=pool, expired_at__isnull=False).count()
    base = site_url(pool.tenant)
    try:
        deliver_now(
            branded_email(
                brand=Brand.of_unit(pool.offering.microcredential.unit),
                to=recipients,
                template_prefix="sponsors/email/pool_ended",
                context={
                    "pool": pool,
                    "expired": expired,
                    "credited": pool.credited_minor,
                    "pool_url": base + reverse("sponsor-pool", args=[pool.pk]),
                },
                language=settings.LANGUAGE_CODE,
            )
        )
    except Exception:
        SeatPool.objects.filter(pk=pool_id, end_told_claimed_at=now).update(end_told_claimed_at=None)
        raise
    SeatPool.objects.filter(pk=pool_id).update(end_told_at=timezone.now())
    return True

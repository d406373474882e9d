"""A pool of seats bought by an employer, invoiced by Stripe Invoicing, and its invoice's fate.

1. pool_create: the pool row, its seats reserved on the offering by the catalog's one conditional
   UPDATE (never oversold: a pool larger than the seats left is refused, nothing kept), one
   PoolSeat row with a one-time code per seat. One transaction, no network call.
2. pool_invoice_send (after commit, safe to repeat: idempotency keys `pool:<id>:…`): the
   employer's Stripe customer (made once), a draft `send_invoice` invoice due in
   `days_until_due` days, its one item (seats × unit price), finalized and sent. Then the pool is
   `invoiced` and the ledger holds the pool's value as the unit's receivable (Dr unit_receivable,
   Cr unit_revenue; source the invoice id).
3. Webhooks (invoice.paid / .payment_failed / .overdue / .voided, through payments' event
   registry, so each event is applied once; each handler is idempotent besides):
   paid moves the receivable to processor clearing (source `paid:<invoice>`), overdue marks the
   pool, voided reverses the receivable and gives the unredeemed seats back to the offering.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from catalog.models import Offering
from catalog.services import offering_seats_release, offering_seats_take
from core.jobs import enqueue_after_commit
from core.locks import bounded_wait
from core.money import MAX_AMOUNT_MINOR, format_money
from identity.models import User
from ledger.models import LedgerTransaction, TransactionKind
from ledger.services import (
    invoice_bank_lines,
    invoice_charge_lines,
    invoice_lines,
    ledger_post,
    ledger_reverse,
)
from payments import stripe_api
from sponsors.errors import PoolRefused
from sponsors.models import Employer, PoolSeat, PoolStatus, SeatPool
from tenants.errors import NotVisible
from tenants.models import Tenant
from tenants.selectors import StaffAccess

MAX_SEATS = 5000
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
LOCK_TIMEOUT = "10s"


def _busy() -> PoolRefused:
    return PoolRefused(_("Someone else is changing this pool just now. Try again in a moment."))


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(12))


def lock_pool(*, tenant: Tenant, pool_id: int) -> SeatPool | None:
    with bounded_wait(LOCK_TIMEOUT, busy=_busy):
        return (
            SeatPool.objects.select_for_update(of=("self",))
            .select_related("offering__microcredential__unit", "employer")
            .filter(tenant=tenant, pk=pool_id)
            .first()
        )


def pool_create(
    *,
    tenant: Tenant,
    access: StaffAccess,
    actor: User,
    employer_id: int,
    offering_id: int,
    seats: int,
    unit_price_minor: int | None = None,
    days_until_due: int = 30,
    request_key: str = "",
) -> SeatPool:
    """`request_key`: the form's one-time key; the same key again returns the pool it made (a
    double click, or two at once: the second's seats are rolled back with its insert)."""
    request_key = request_key.strip()[:64]
    if request_key:
        made = SeatPool.objects.filter(tenant=tenant, request_key=request_key).first()
        if made is not None:
            return made
    employer = Employer.objects.filter(tenant=tenant, pk=employer_id).select_related("unit").first()
    if employer is None or (employer.unit is not None and not access.manages_unit(employer.unit)):
        raise NotVisible(_("No such employer."))
    offering = (
        Offering.objects.select_related("microcredential__unit").filter(tenant=tenant, pk=offering_id).first()
    )
    if offering is None or not access.manages_unit(offering.microcredential.unit):
        raise NotVisible(_("No such offering."))
    price = offering.price_minor if unit_price_minor is None else unit_price_minor
    pool_check(employer=employer, offering=offering, seats=seats, price=price, days_until_due=days_until_due)
    return pool_make(
        tenant=tenant,
        employer=employer,
        offering=offering,
        actor=actor,
        seats=seats,
        price=price,
        days_until_due=days_until_due,
        request_key=request_key,
    )


def pool_check(
    *, employer: Employer, offering: Offering, seats: int, price: int, days_until_due: int
) -> None:
    """What any pool must be, whoever makes it; PoolRefused (naming the form's field) otherwise."""
    if employer.unit_id is not None and offering.microcredential.unit_id != employer.unit_id:
        raise PoolRefused(
            _("%(org)s buys seats of %(unit)s only.") % {"org": employer.organisation, "unit": employer.unit},
            fields={"offering": [_("Choose an offering of the employer's unit.")]},
        )
    if not 1 <= seats <= MAX_SEATS:
        raise PoolRefused(
            _("A pool has between 1 and %(max)d seats.") % {"max": MAX_SEATS},
            fields={"seats": [_("Enter a number of seats from 1 to %(max)d.") % {"max": MAX_SEATS}]},
        )
    if price <= 0:
        raise PoolRefused(
            _("A pool is invoiced: its seats need a price above zero."),
            fields={"unit_price": [_("Enter a price above zero.")]},
        )
    if seats * price > MAX_AMOUNT_MINOR:
        message = _("One invoice can be for at most %(max)s: make smaller pools.") % {
            "max": format_money(MAX_AMOUNT_MINOR, offering.currency)
        }
        raise PoolRefused(message, fields={"seats": [message]})
    if not 0 <= days_until_due <= 365:
        raise PoolRefused(
            _("The invoice is due within 0 to 365 days."),
            fields={"days_until_due": [_("Enter a number of days from 0 to 365.")]},
        )


def pool_make(
    *,
    tenant: Tenant,
    employer: Employer,
    offering: Offering,
    actor: User,
    seats: int,
    price: int,
    days_until_due: int,
    request_key: str,
) -> SeatPool:
    try:
        return _pool_reserve(
            tenant=tenant,
            employer=employer,
            offering=offering,
            actor=actor,
            seats=seats,
            price=price,
            days_until_due=days_until_due,
            request_key=request_key,
        )
    except IntegrityError:
        made = (
            SeatPool.objects.filter(tenant=tenant, request_key=request_key).first() if request_key else None
        )
        if made is None:
            raise
        return made


def _pool_reserve(
    *,
    tenant: Tenant,
    employer: Employer,
    offering: Offering,
    actor: User,
    seats: int,
    price: int,
    days_until_due: int,
    request_key: str,
) -> SeatPool:
    with transaction.atomic():
        if not offering_seats_take(tenant=tenant, offering_id=offering.pk, count=seats):
            left = Offering.objects.filter(pk=offering.pk).values_list("capacity", "seats_taken").get()
            free = max(left[0] - left[1], 0)
            message = ngettext(
                "Only %(left)d seat is left in this offering: a pool of %(n)d does not fit.",
                "Only %(left)d seats are left in this offering: a pool of %(n)d does not fit.",
                free,
            ) % {"left": free, "n": seats}
            raise PoolRefused(message, fields={"seats": [message]})
        pool = SeatPool.objects.create(
            tenant=tenant,
            employer=employer,
            offering=offering,
            seats=seats,
            unit_price_minor=price,
            currency=offering.currency,
            days_until_due=days_until_due,
            created_by=actor,
            request_key=request_key,
            unredeemed=employer.unredeemed,
        )
        PoolSeat.objects.bulk_create(
            [PoolSeat(tenant=tenant, pool=pool, code=new_code()) for _ in range(seats)]
        )
    return pool


def employer_customer(*, tenant: Tenant, employer: Employer) -> str:
    """The employer's Stripe customer id, made once (idempotency key `employer:<id>:customer`)."""
    if not employer.stripe_customer_id:
        customer = stripe_api.customer_create(
            tenant=tenant,
            email=employer.billing_email,
            name=employer.organisation,
            metadata={"employer": str(employer.pk)},
            key=f"employer:{employer.pk}:customer",
        )
        Employer.objects.filter(pk=employer.pk, stripe_customer_id="").update(stripe_customer_id=customer.id)
        employer.refresh_from_db(fields=["stripe_customer_id"])
    return employer.stripe_customer_id


def pool_invoice_send(*, tenant: Tenant, pool_id: int) -> SeatPool:
    """Invoice a draft pool at Stripe (module doc, 2). Outside any lock; safe to call again."""
    pool = (
        SeatPool.objects.select_related("employer", "offering__microcredential__unit")
        .filter(tenant=tenant, pk=pool_id)
        .first()
    )
    if pool is None:
        raise NotVisible(_("No such pool."))
    if pool.status != PoolStatus.DRAFT:
        return pool
    employer = pool.employer
    employer_customer(tenant=tenant, employer=employer)
    meta = {"pool": str(pool.pk), "tenant": tenant.slug}
    title = pool.offering.microcredential.title
    footer = f"PO {employer.po_number}" if employer.po_number else ""
    draft = stripe_api.invoice_create(
        tenant=tenant,
        customer_id=employer.stripe_customer_id,
        currency=pool.currency.lower(),
        days_until_due=pool.days_until_due,
        metadata=meta,
        key=f"pool:{pool.pk}:invoice",
        description=f"{title}: {pool.seats} seats",
        footer=footer,
    )
    stripe_api.invoice_item_create(
        tenant=tenant,
        customer_id=employer.stripe_customer_id,
        invoice_id=draft.id,
        currency=pool.currency.lower(),
        unit_amount=pool.unit_price_minor,
        quantity=pool.seats,
        description=f"{title} ({pool.offering.cohort_label}), {pool.seats} seats"[:500],
        metadata=meta,
        key=f"pool:{pool.pk}:item",
    )
    opened = stripe_api.invoice_finalize(tenant=tenant, invoice_id=draft.id, key=f"pool:{pool.pk}:finalize")
    if opened.status == "open":
        stripe_api.invoice_send(tenant=tenant, invoice_id=draft.id, key=f"pool:{pool.pk}:send")
    with transaction.atomic():
        locked = lock_pool(tenant=tenant, pool_id=pool.pk)
        assert locked is not None  # noqa: S101 - the pool was read above and is never deleted
        if locked.status == PoolStatus.DRAFT:
            locked.status = PoolStatus.INVOICED
        locked.stripe_invoice_id = draft.id
        locked.invoice_number = str(opened.number or "")
        locked.hosted_invoice_url = str(opened.hosted_invoice_url or "")
        locked.invoice_pdf_url = str(opened.invoice_pdf or "")
        locked.save(
            update_fields=[
                "status",
                "stripe_invoice_id",
                "invoice_number",
                "hosted_invoice_url",
                "invoice_pdf_url",
            ]
        )
        _post_receivable(locked, at=timezone.now())
    return locked


def _post_receivable(pool: SeatPool, *, at: datetime) -> LedgerTransaction:
    return ledger_post(
        tenant=pool.tenant,
        kind=TransactionKind.INVOICE,
        source_ref=pool.stripe_invoice_id,
        currency=pool.currency,
        lines=invoice_lines(unit_id=pool.offering.microcredential.unit_id, amount=pool.total_minor),
        occurred_at=at,
        order_ref=f"pool:{pool.pk}",
        memo=f"Invoice for {pool.seats} seats, {pool.employer.organisation}"[:300],
    )


def _at(timestamp: Any) -> datetime:
    return datetime.fromtimestamp(int(timestamp), tz=UTC) if timestamp else timezone.now()


def _pool_of_invoice(*, tenant: Tenant, invoice: dict[str, Any]) -> SeatPool | None:
    invoice_id = str(invoice.get("id") or "")
    pool_id = str((invoice.get("metadata") or {}).get("pool") or "")
    found = SeatPool.objects.filter(tenant=tenant, stripe_invoice_id=invoice_id).values_list("pk", flat=True)
    pk = next(iter(found), None)
    if pk is None and pool_id.isdigit():
        pk = int(pool_id)
    if pk is None:
        return None
    pool = lock_pool(tenant=tenant, pool_id=pk)
    if pool is None or (pool.stripe_invoice_id and pool.stripe_invoice_id != invoice_id):
        return None
    if not pool.stripe_invoice_id:  # the event came before our own answer from Stripe was stored
        pool.stripe_invoice_id = invoice_id
        pool.invoice_number = str(invoice.get("number") or "")
        pool.hosted_invoice_url = str(invoice.get("hosted_invoice_url") or "")
        pool.invoice_pdf_url = str(invoice.get("invoice_pdf") or "")
        pool.save(
            update_fields=["stripe_invoice_id", "invoice_number", "hosted_invoice_url", "invoice_pdf_url"]
        )
    return pool


def invoice_event_apply(*, tenant: Tenant, event: dict[str, Any], now: datetime | None = None) -> None:
    """Apply an invoice.* event to its pool (module doc, 3). Idempotent: a repeat changes nothing."""
    now = now or timezone.now()
    invoice = event["data"]["object"]
    pool = _pool_of_invoice(tenant=tenant, invoice=invoice)
    if pool is None:
        return  # not a pool's invoice
    kind = event["type"]
    if kind == "invoice.paid":
        if pool.status == PoolStatus.PAID:
            return
        if pool.status == PoolStatus.VOID:
            return
        paid_at = _at((invoice.get("status_transitions") or {}).get("paid_at"))
        _post_receivable(pool, at=paid_at)
        off_stripe = min(max(int(invoice.get("amount_paid_off_stripe") or 0), 0), pool.total_minor)
        if off_stripe:
            ledger_post(
                tenant=tenant,
                kind=TransactionKind.INVOICE_PAYMENT,
                source_ref=f"paid:{pool.stripe_invoice_id}",
                currency=pool.currency,
                lines=invoice_bank_lines(unit_id=pool.offering.microcredential.unit_id, amount=off_stripe),
                occurred_at=paid_at,
                order_ref=f"pool:{pool.pk}",
                memo=f"Invoice {pool.invoice_number} paid by {pool.employer.organisation}"[:300],
            )
        pool.status = PoolStatus.PAID
        pool.paid_at = paid_at
        pool.save(update_fields=["status", "paid_at"])
        if off_stripe < pool.total_minor:  # paid by card: the charge and its fee are read by a job
            enqueue_after_commit("sponsors.settle_pool", pool.pk)
        else:
            SeatPool.objects.filter(pk=pool.pk).update(settled_at=now)
    elif kind == "invoice.overdue":
        if pool.status == PoolStatus.INVOICED:
            pool.status = PoolStatus.OVERDUE
            pool.save(update_fields=["status"])
    elif kind == "invoice.voided":
        if pool.status in (PoolStatus.VOID, PoolStatus.PAID):
            return
        posted = LedgerTransaction.objects.filter(
            tenant=tenant, kind=TransactionKind.INVOICE, source_ref=pool.stripe_invoice_id
        ).first()
        if posted is not None:
            ledger_reverse(
                transaction=posted,
                source_ref=f"void:{pool.stripe_invoice_id}",
                memo=f"Invoice {pool.invoice_number} voided",
                occurred_at=now,
            )
        credited = LedgerTransaction.objects.filter(
            tenant=tenant, kind=TransactionKind.CREDIT_NOTE, source_ref=pool.credit_note_id or "-"
        ).first()
        if credited is not None:  # the credit note lowered a receivable that is now gone
            ledger_reverse(
                transaction=credited,
                source_ref=f"void:{pool.credit_note_id}",
                memo=f"Invoice {pool.invoice_number} voided after its credit note",
                occurred_at=now,
            )
        unredeemed = PoolSeat.objects.filter(
            pool=pool, redeemed_at__isnull=True, expired_at__isnull=True
        ).count()
        if unredeemed:
            offering_seats_release(tenant=tenant, offering_id=pool.offering_id, count=unredeemed)
        pool.status = PoolStatus.VOID
        pool.save(update_fields=["status"])
    # invoice.payment_failed: the invoice stays open (the employer may pay again); nothing changes.


def pool_settle(*, pool_id: int) -> bool:
    """After an invoice paid by card (a job, outside any lock; safe to run again): each card
    payment's charge, read with its balance transaction, posted as a `charge` (source the charge
    id, as finance reconciles charges): the receivable settled into processor clearing, Stripe's
    real fee to the unit's fees."""
    pool = (
        SeatPool.objects.select_related("tenant", "offering__microcredential", "employer")
        .filter(pk=pool_id, status=PoolStatus.PAID, settled_at__isnull=True)
        .first()
    )
    if pool is None:
        return False
    tenant = pool.tenant
    for payment in stripe_api.invoice_payments_list(tenant=tenant, invoice_id=pool.stripe_invoice_id):
        intent_id = str((payment.get("payment") or {}).get("payment_intent") or "")
        if payment.get("status") != "paid" or not intent_id:
            continue
        intent = stripe_api.payment_intent_retrieve(tenant=tenant, intent_id=intent_id)
        latest: Any = intent.latest_charge
        charge_id = latest if isinstance(latest, str) else latest.id
        charge = stripe_api.charge_retrieve(
            tenant=tenant, charge_id=charge_id, expand=["balance_transaction"]
        )
        balance: Any = charge.balance_transaction
        ledger_post(
            tenant=tenant,
            kind=TransactionKind.CHARGE,
            source_ref=charge.id,
            currency=pool.currency,
            lines=invoice_charge_lines(
                unit_id=pool.offering.microcredential.unit_id, amount=int(charge.amount), fee=int(balance.fee)
            ),
            occurred_at=_at(charge.created),
            order_ref=f"pool:{pool.pk}",
            memo=f"Invoice {pool.invoice_number} paid by card, {pool.employer.organisation}"[:300],
        )
    SeatPool.objects.filter(pk=pool.pk, settled_at__isnull=True).update(settled_at=timezone.now())
    return True


def pool_void(*, tenant: Tenant, access: StaffAccess, pool_id: int) -> SeatPool:
    """Staff end an unpaid pool: its invoice voided at Stripe (outside any lock), then what the
    `invoice.voided` webhook does, at once (the webhook, when it comes, finds it done)."""
    pool = (
        SeatPool.objects.select_related("offering__microcredential__unit")
        .filter(tenant=tenant, pk=pool_id)
        .first()
    )
    if pool is None or not access.manages_unit(pool.offering.microcredential.unit):
        raise NotVisible(_("No such pool."))
    if pool.status == PoolStatus.DRAFT and not pool.stripe_invoice_id:
        return draft_void(tenant=tenant, pool_id=pool.pk)
    if pool.status not in (PoolStatus.INVOICED, PoolStatus.OVERDUE) or not pool.stripe_invoice_id:
        raise PoolRefused(
            _("Only an unpaid, invoiced pool can be voided: this one is %(s)s.")
            % {"s": PoolStatus(pool.status).label.lower()}
        )
    try:
        voided = stripe_api.invoice_void(
            tenant=tenant, invoice_id=pool.stripe_invoice_id, key=f"pool:{pool.pk}:void"
        ).to_dict()
    except stripe_api.StripeRefused:
        voided = stripe_api.invoice_retrieve(tenant=tenant, invoice_id=pool.stripe_invoice_id).to_dict()
        if voided.get("status") != "void":
            raise PoolRefused(
                _("Stripe would not void this invoice: it is %(s)s.") % {"s": voided.get("status")}
            ) from None
    with transaction.atomic():
        invoice_event_apply(tenant=tenant, event={"type": "invoice.voided", "data": {"object": voided}})
    pool.refresh_from_db()
    return pool


def pools_unsettled(*, now: datetime | None = None) -> list[int]:
    """Pools paid by card over five minutes ago whose fee is still not posted (for the sweep)."""
    before = (now or timezone.now()) - timedelta(minutes=5)
    return list(
        SeatPool.objects.filter(status=PoolStatus.PAID, settled_at__isnull=True, paid_at__lte=before)
        .order_by("pk")
        .values_list("pk", flat=True)[:200]
    )


def draft_void(*, tenant: Tenant, pool_id: int) -> SeatPool:
    """A pool never invoiced (Stripe failed when it was made) is ended here: its seats go back."""
    with transaction.atomic():
        pool = lock_pool(tenant=tenant, pool_id=pool_id)
        if pool is None:
            raise NotVisible(_("No such pool."))
        if pool.status == PoolStatus.DRAFT and not pool.stripe_invoice_id:
            unredeemed = PoolSeat.objects.filter(
                pool=pool, redeemed_at__isnull=True, expired_at__isnull=True
            ).count()
            if unredeemed:
                offering_seats_release(tenant=tenant, offering_id=pool.offering_id, count=unredeemed)
            pool.status = PoolStatus.VOID
            pool.save(update_fields=["status"])
    return pool

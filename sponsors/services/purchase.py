"""An employer's contact buys a pool in the portal (pool_buy), by invoice (pools.pool_invoice_send)
or by card: a Stripe Checkout Session for its seats, with `invoice_creation`, so
that once paid Stripe makes the pool's (paid) invoice, the employer's record of the purchase.

1. pool_checkout_start (after pool_buy reserved the seats; outside any lock; key
   `pool:<id>:checkout`): the session (the employer's customer; one line, seats × price; the
   pool in the session's and the invoice's metadata); the pool is `checkout` (its seats are
   reserved but cannot be handed out yet) with the session's URL.
2. The invoice Stripe makes is paid: `invoice.paid` finds the pool by the invoice's
   `metadata.pool` and does what it does for an invoiced pool (pools.invoice_event_apply: the
   value booked and settled, the card charge and its fee read by `sponsors.settle_pool`).
   The contact back on the pool's page before that event applies the same from the session read
   then (checkout_refresh, outside any transaction); each is idempotent.
3. `checkout.session.expired` (nobody paid within Stripe's 24 hours): the pool is void and its
   seats go back to the offering.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from catalog.services import offering_seats_release
from core.errors import MicrocredError
from identity.models import User
from payments import stripe_api
from sponsors.errors import PoolRefused
from sponsors.models import Employer, PoolSeat, PoolStatus, SeatPool
from sponsors.services.pools import (
    draft_void,
    employer_customer,
    invoice_event_apply,
    lock_pool,
    pool_check,
    pool_make,
    pool_target,
)
from tenants.errors import NotVisible
from tenants.models import Tenant

logger = logging.getLogger(__name__)


def pool_buy(
    *,
    tenant: Tenant,
    contact_user: User,
    employer_id: int,
    seats: int,
    offering_id: int | None = None,
    microcredential_id: int | None = None,
    request_key: str = "",
) -> SeatPool:
    """An employer's contact buys a pool of one run on sale at its list price, or of any run of a
    microcredential with a run on sale at the next run's price, in the portal: the pool
    reserved as staff's are (pool_create), due in the employer's usual 30 days. The caller then
    invoices it (pool_invoice_send) and sends the contact to the invoice (to pay by card now) or
    to the pool (paid later, by card or transfer)."""
    request_key = request_key.strip()[:64]
    if request_key:
        made = SeatPool.objects.filter(
            tenant=tenant, request_key=request_key, employer_id=employer_id
        ).first()
        if made is not None:
            return made
    employer = (
        Employer.objects.filter(tenant=tenant, pk=employer_id, contacts__user=contact_user)
        .select_related("unit")
        .first()
    )
    if employer is None:
        raise NotVisible(_("No such employer."))
    try:
        target = pool_target(
            tenant=tenant, offering_id=offering_id, microcredential_id=microcredential_id, on_sale_only=True
        )
    except NotVisible:
        raise PoolRefused(
            _("This offering is not on sale: choose another."),
            fields={"offering": [_("Choose an offering from the list.")]},
        ) from None
    pool_check(employer=employer, target=target, seats=seats, price=target.price_minor, days_until_due=30)
    return pool_make(
        tenant=tenant,
        employer=employer,
        target=target,
        actor=contact_user,
        seats=seats,
        price=target.price_minor,
        days_until_due=30,
        request_key=request_key,
    )


def pool_abandon(*, tenant: Tenant, pool_id: int) -> SeatPool:
    """A contact's new pool whose invoice Stripe would not make: ended, its seats given back."""
    return draft_void(tenant=tenant, pool_id=pool_id)


def pool_checkout_start(*, tenant: Tenant, pool_id: int, success_url: str, cancel_url: str) -> SeatPool:
    pool = (
        SeatPool.objects.select_related("employer", "offering", "microcredential")
        .filter(tenant=tenant, pk=pool_id)
        .first()
    )
    if pool is None:
        raise NotVisible(_("No such pool."))
    if pool.status != PoolStatus.DRAFT:
        return pool
    customer = employer_customer(tenant=tenant, employer=pool.employer)
    meta = {"pool": str(pool.pk), "tenant": tenant.slug}
    title = pool.microcredential.title
    footer = f"PO {pool.employer.po_number}" if pool.employer.po_number else ""
    invoice_data: dict[str, Any] = {"description": f"{title}: {pool.seats} seats", "metadata": meta}
    if footer:
        invoice_data["footer"] = footer
    session = stripe_api.checkout_session_create(
        tenant=tenant,
        params={
            "mode": "payment",
            "customer": customer,
            "line_items": [
                {
                    "quantity": pool.seats,
                    "price_data": {
                        "currency": pool.currency.lower(),
                        "unit_amount": pool.unit_price_minor,
                        "product_data": {"name": f"{title} ({pool.run_label}), a seat"[:250]},
                    },
                }
            ],
            "metadata": meta,
            "invoice_creation": {"enabled": True, "invoice_data": invoice_data},
            "success_url": success_url,
            "cancel_url": cancel_url,
        },
        key=f"pool:{pool.pk}:checkout",
    )
    with transaction.atomic():
        locked = lock_pool(tenant=tenant, pool_id=pool.pk)
        assert locked is not None  # noqa: S101 - read above, never deleted
        if locked.status == PoolStatus.DRAFT:
            locked.status = PoolStatus.CHECKOUT
            locked.checkout_session_id = str(session.id)
            locked.checkout_url = str(session.url or "")
            locked.save(update_fields=["status", "checkout_session_id", "checkout_url"])
    return locked


def _pool_of_session(*, tenant: Tenant, session: dict[str, Any]) -> int | None:
    pool_id = str((session.get("metadata") or {}).get("pool") or "")
    if not pool_id.isdigit():
        return None
    found = SeatPool.objects.filter(tenant=tenant, pk=int(pool_id), checkout_session_id=session.get("id"))
    return next(iter(found.values_list("pk", flat=True)), None)


def session_event_apply(*, tenant: Tenant, event: dict[str, Any]) -> None:
    """checkout.session.* of a pool's session (module doc, 2 and 3); other sessions are payments'."""
    session = event["data"]["object"]
    pool_id = _pool_of_session(tenant=tenant, session=session)
    if pool_id is None:
        return
    if event["type"] == "checkout.session.expired":
        with transaction.atomic():
            pool = lock_pool(tenant=tenant, pool_id=pool_id)
            if pool is None or pool.status != PoolStatus.CHECKOUT:
                return
            free = PoolSeat.objects.filter(pool=pool, redeemed_at__isnull=True, expired_at__isnull=True)
            if (count := free.count()) and pool.offering_id is not None:
                offering_seats_release(tenant=tenant, offering_id=pool.offering_id, count=count)
            pool.status = PoolStatus.VOID
            pool.save(update_fields=["status"])
        return
    invoice = session.get("invoice")
    invoice_id = invoice.get("id") if isinstance(invoice, dict) else invoice
    if session.get("payment_status") != "paid" or not invoice_id:
        return  # a bank debit still on its way: its invoice.paid (or async_payment_succeeded) comes later
    paid = stripe_api.invoice_retrieve(tenant=tenant, invoice_id=str(invoice_id)).to_dict()
    if paid.get("status") == "paid":
        with transaction.atomic():
            invoice_event_apply(tenant=tenant, event={"type": "invoice.paid", "data": {"object": paid}})


def checkout_refresh(*, tenant: Tenant, pool: SeatPool) -> SeatPool:
    """The contact back from Checkout before Stripe's events: the session read and applied now
    (as its checkout.session.completed would be). Stripe unreachable: the pool as it is."""
    if pool.status != PoolStatus.CHECKOUT or not pool.checkout_session_id:
        return pool
    try:
        session = stripe_api.checkout_session_retrieve(tenant=tenant, session_id=pool.checkout_session_id)
        if session.get("status") == "complete":
            session_event_apply(
                tenant=tenant, event={"type": "checkout.session.completed", "data": {"object": session}}
            )
    except (stripe_api.StripeRefused, MicrocredError):
        logger.warning("pool %s: its Checkout Session could not be read", pool.pk, exc_info=True)
        return pool
    pool.refresh_from_db()
    return pool

"""Orders (their Stripe Checkout Session: payments.services.checkout).

An order holds one or more of the learner's held paid enrollments in one currency. Drafting it
is one short transaction (no network); the Checkout Session is created after, with the
idempotency key `order:<id>:checkout`, so a retry after Stripe failed (500, 429, a timeout)
re-sends the same request for the same draft and can never make a second session or hold.

Hold and session expire together. Stripe's session lives 30 minutes to 24 hours; holds of paid
offerings are at least 30 minutes, but a learner may come to pay late in the hold. When less
than CHECKOUT_MIN_WINDOW is left, the hold is extended once, to now + CHECKOUT_EXTENSION
(recorded in the enrollment's history); a hold already extended with too little time left is
refused: the learner cannot keep a seat by starting checkout again and again.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import Microcredential, Offering
from catalog.refunds import policy_snapshot
from enrollment import services as enrollment_services
from enrollment.models import Enrollment, EnrollmentStatus
from identity.models import User
from payments import stripe_api
from payments.errors import CheckoutRefused, PaymentsBusy
from payments.models import (
    LIVE_ORDER_STATES,
    ORDER_RANK,
    LineStatus,
    Order,
    OrderEvent,
    OrderLine,
    OrderStatus,
)
from payments.quotes import OrderQuote, QuoteLine
from payments.services import locks
from promotions import services as promotions
from promotions.errors import CodeRefused
from promotions.models import PromotionCode
from promotions.services import normalise_code
from tenants.errors import NotVisible
from tenants.models import Tenant

logger = logging.getLogger(__name__)

# Stripe refuses expires_at under 30 minutes ahead; the margin leaves time for a retry.
CHECKOUT_MIN_WINDOW = timedelta(minutes=32)
CHECKOUT_EXTENSION = timedelta(minutes=35)
CHECKOUT_MAX_WINDOW = timedelta(hours=23, minutes=55)
REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def new_reference() -> str:
    return "MC-" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(10))


def order_transition(
    order: Order, to_status: str, *, action: str, now: datetime, stripe_event_id: str = "", **details: Any
) -> bool:
    """Move a locked order forward; never back (ORDER_RANK). False when it would not move."""
    from_status = order.status
    if ORDER_RANK[OrderStatus(to_status)] <= ORDER_RANK[OrderStatus(from_status)]:
        return False
    order.status = to_status
    order.updated_at = now
    fields = ["status", "updated_at"]
    if to_status == OrderStatus.PAID:
        order.paid_at = now
        fields.append("paid_at")
    order.save(update_fields=fields)
    OrderEvent.objects.create(
        order=order,
        tenant_id=order.tenant_id,
        action=action,
        from_status=from_status,
        to_status=to_status,
        stripe_event_id=stripe_event_id,
        details=details,
        at=now,
    )
    return True


def _held_enrollments(*, tenant: Tenant, learner: User, enrollment_ids: Sequence[int]) -> list[Enrollment]:
    ids = sorted(set(enrollment_ids))
    if not ids:
        raise CheckoutRefused(_("Choose at least one held seat to pay for."))
    rows = list(
        Enrollment.objects.filter(tenant=tenant, learner=learner, pk__in=ids)
        .select_related("offering__microcredential__unit")
        .order_by("pk")
    )
    if len(rows) != len(ids):
        raise NotVisible(_("No such enrollment."))
    for enrollment in rows:
        if enrollment.status != EnrollmentStatus.HELD:
            raise CheckoutRefused(
                _("“%(title)s” has no seat held for you to pay for.")
                % {"title": enrollment.offering.microcredential.title}
            )
        if enrollment.offering.is_free:
            raise CheckoutRefused(
                _("“%(title)s” is free.") % {"title": enrollment.offering.microcredential.title}
            )
    if len({e.offering.currency for e in rows}) > 1:
        raise CheckoutRefused(_("Seats priced in different currencies are paid for separately."))
    return rows


def _live_orders_with(enrollment_ids: Sequence[int]) -> list[Order]:
    return list(
        Order.objects.filter(
            status__in=sorted(LIVE_ORDER_STATES), lines__enrollment_id__in=list(enrollment_ids)
        )
        .distinct()
        .order_by("pk")
    )


def _same_seats(order: Order, enrollment_ids: Sequence[int]) -> bool:
    return sorted(order.lines.values_list("enrollment_id", flat=True)) == sorted(set(enrollment_ids))


@dataclass(frozen=True)
class CheckoutStart:
    order: Order
    reused: bool


def order_for_holds(
    *,
    tenant: Tenant,
    learner: User,
    enrollment_ids: Sequence[int],
    code: str = "",
    waiver: StaffWaiver | None = None,
    bundle: Microcredential | None = None,
    now: datetime | None = None,
) -> CheckoutStart:
    """The order to pay these held seats with: the learner's live one for exactly these seats
    (a second click, a retry after Stripe failed), or a new draft. Seats in another live order
    are moved to the new one after that order's session is expired at Stripe.

    One start at a time per learner (locks.lock_checkout_start): a double submit, raced, waits
    for the first to draft its order and then finds it, so it never drafts a second one. The
    lock is let go before a stale order's session is expired at Stripe, then taken again.

    `code`: a promotion code the learner typed (CodeRefused says why it cannot be used). Its
    uses are counted under its row lock, so two learners racing for its last use get one each
    way: one order, one refusal. An order priced at nothing (a 100 % code) is the caller's to
    confirm (payments.services.waivers.free_order_confirm): it never goes to Stripe.

    `waiver`: staff waive the whole fee of these seats (payments.services.waivers.staff_waive).
    `bundle`: these seats are one per part of that bundle (else CheckoutRefused), at its price."""
    now = now or timezone.now()
    ids = sorted(set(enrollment_ids))
    wanted = promotions.code_find(tenant=tenant, text=code) if normalise_code(code) else None
    if wanted is not None and bundle is not None:
        raise CodeRefused(_("A promotion code cannot be combined with a bundle's price."))
    for _attempt in range(3):
        with transaction.atomic():
            locks.lock_checkout_start(tenant=tenant, learner_id=learner.pk)
            enrollments = _held_enrollments(tenant=tenant, learner=learner, enrollment_ids=ids)
            stale = []
            for order in _live_orders_with(ids):
                if order.status == OrderStatus.PROCESSING:
                    raise CheckoutRefused(
                        _("A payment for this seat is being processed: wait for its result.")
                    )
                if (
                    waiver is None
                    and _same_seats(order, ids)
                    and order.promotion_code_id == (wanted.pk if wanted else None)
                    and order.bundle_id == (bundle.pk if bundle else None)
                    and _still_usable(order, now)
                ):
                    return CheckoutStart(order, reused=True)
                stale.append(order)
            if not stale:
                return CheckoutStart(
                    _draft_for(tenant, learner, enrollments, wanted, now, waiver=waiver, bundle=bundle),
                    reused=False,
                )
        for order in stale:  # outside the lock: a call to Stripe each
            order_abandon(order=order, now=now)
    raise PaymentsBusy()


def _still_usable(order: Order, now: datetime) -> bool:
    """An open session is taken up again while it lasts; a draft (Stripe failed) while the same
    request would still be accepted (expires_at at least 30 minutes ahead)."""
    left = order.checkout_expires_at - now
    if order.status == OrderStatus.OPEN:
        return left > timedelta(minutes=1)
    return left > timedelta(minutes=30, seconds=30)


@dataclass(frozen=True)
class StaffWaiver:
    """Staff waive the whole fee: why (the learner is told), and who."""

    reason: str
    by: User


def _draft_for(
    tenant: Tenant,
    learner: User,
    enrollments: list[Enrollment],
    code: PromotionCode | None,
    now: datetime,
    *,
    waiver: StaffWaiver | None = None,
    bundle: Microcredential | None = None,
) -> Order:
    """A new draft for these held seats, each hold first extended if too little of it is left."""
    if waiver is not None:
        discounts = {e.pk: e.offering.price_minor for e in enrollments}
    elif bundle is not None:
        discounts = bundle_prices(bundle, enrollments)
    else:
        discounts = _discounts(code, learner, enrollments, now) if code is not None else {}
    for enrollment in enrollments:
        expires_at = enrollment.hold_expires_at or now  # held ⇔ expiry (a database constraint)
        if expires_at - now < CHECKOUT_MIN_WINDOW:
            enrollment_services.hold_extend_for_checkout(
                tenant=tenant, enrollment_id=enrollment.pk, until=now + CHECKOUT_EXTENSION, now=now
            )
    ids = [e.pk for e in enrollments]
    enrollments = _held_enrollments(tenant=tenant, learner=learner, enrollment_ids=ids)
    expires = min(e.hold_expires_at or now for e in enrollments)
    return _order_draft(
        tenant=tenant,
        learner=learner,
        enrollments=enrollments,
        expires=min(expires, now + CHECKOUT_MAX_WINDOW),
        code=code,
        discounts=discounts,
        waiver=waiver,
        bundle=bundle,
        now=now,
    )


def bundle_prices(bundle: Microcredential, enrollments: list[Enrollment]) -> dict[int, int]:
    """Each held seat's share of the bundle's saving; refused unless the seats are exactly one
    run of each part."""
    parts = set(bundle.parts.values_list("pk", flat=True))
    seats = [e.offering.microcredential_id for e in enrollments]
    if sorted(seats) != sorted(parts):
        raise CheckoutRefused(
            _("A bundle is paid for with one seat in each of its parts: hold them together from its page.")
        )
    return promotions.bundle_discounts(
        percent=int(bundle.bundle_discount_percent or 0),
        prices={e.pk: e.offering.price_minor for e in enrollments},
    )


def _code_uses(code: PromotionCode, now: datetime) -> QuerySet[Order]:
    """The orders that use the code: paid, or live and still payable."""
    return Order.objects.filter(
        Q(status=OrderStatus.PAID)
        | Q(status__in=sorted(LIVE_ORDER_STATES), checkout_expires_at__gt=now, superseded_by__isnull=True),
        promotion_code=code,
    )


def code_available(*, tenant: Tenant, learner: User, code: str, now: datetime | None = None) -> PromotionCode:
    """The code, if it looks usable now: found, active, in its dates, not used up by everyone or
    by this learner (CodeRefused otherwise). Read without locks, so a code used up a moment ago
    is refused before any seat is locked; the order made after checks again under the lock."""
    now = now or timezone.now()
    found = promotions.code_find(tenant=tenant, text=code)
    promotions.code_in_force(found, now)
    uses = _code_uses(found, now)
    if found.max_uses is not None and uses.count() >= found.max_uses:
        raise CodeRefused(_("The code “%(code)s” has been used up.") % {"code": found.code})
    if uses.filter(learner=learner).count() >= found.max_uses_per_learner:
        raise CodeRefused(
            _("You have already used the code “%(code)s” as often as it allows.") % {"code": found.code}
        )
    return found


def _discounts(
    code: PromotionCode, learner: User, enrollments: list[Enrollment], now: datetime
) -> dict[int, int]:
    """Each held seat's discount under the code, after taking the code's row lock and checking
    its caps (the caller's transaction keeps the lock until the order is drafted)."""
    locked = PromotionCode.objects.select_for_update().get(pk=code.pk)
    quote = promotions.code_quote(
        code=locked,
        lines=[promotions.PricedLine(e.pk, e.offering, e.offering.price_minor) for e in enrollments],
        now=now,
    )
    uses = _code_uses(locked, now)
    if locked.max_uses is not None and uses.count() >= locked.max_uses:
        raise CodeRefused(_("The code “%(code)s” has been used up.") % {"code": locked.code})
    if uses.filter(learner=learner).count() >= locked.max_uses_per_learner:
        raise CodeRefused(
            _("You have already used the code “%(code)s” as often as it allows.") % {"code": locked.code}
        )
    return {line.key: line.discount_minor for line in quote}


def _order_draft(
    *,
    tenant: Tenant,
    learner: User,
    enrollments: list[Enrollment],
    expires: datetime,
    code: PromotionCode | None,
    discounts: dict[int, int],
    waiver: StaffWaiver | None,
    bundle: Microcredential | None,
    now: datetime,
) -> Order:
    with transaction.atomic():
        prices = {e.pk: e.offering.price_minor for e in enrollments}
        discount = sum(discounts.values())
        if waiver is not None:
            reason = waiver.reason[:300]
        elif code is not None and discount == sum(prices.values()):
            reason = _waiver_reason(code)
        else:
            reason = ""
        order = Order.objects.create(
            tenant=tenant,
            learner=learner,
            reference=new_reference(),
            email=learner.email,
            currency=enrollments[0].offering.currency,
            amount_minor=sum(prices.values()) - discount,
            discount_minor=discount,
            promotion_code=code,
            bundle=bundle,
            waiver_reason=reason,
            waived_by=waiver.by if waiver is not None else None,
            checkout_expires_at=expires,
            created_at=now,
            updated_at=now,
        )
        for enrollment in enrollments:
            offering = enrollment.offering
            off = discounts.get(enrollment.pk, 0)
            OrderLine.objects.create(
                order=order,
                tenant=tenant,
                offering=offering,
                enrollment=enrollment,
                unit=offering.microcredential.unit,
                amount_minor=offering.price_minor - off,
                list_amount_minor=offering.price_minor,
                discount_minor=off,
                currency=offering.currency,
                description=_line_description(offering, bundle),
                refund_policy=_policy_snapshot(offering, now),
            )
        OrderEvent.objects.create(
            order=order,
            tenant=tenant,
            action="drafted",
            to_status=OrderStatus.DRAFT,
            at=now,
            details=(
                {"code": code.code, "discount_minor": discount}
                if code is not None
                else {"bundle": bundle.pk, "discount_minor": discount}
                if bundle is not None
                else {}
            ),
        )
    return order


def _waiver_reason(code: PromotionCode) -> str:
    return (
        _("Fee waiver: %(reason)s (code %(code)s)") % {"reason": code.description, "code": code.code}
        if code.description
        else _("Promotion code %(code)s") % {"code": code.code}
    )[:300]


def _line_description(offering: Offering, bundle: Microcredential | None = None) -> str:
    title = offering.microcredential.title
    text = f"{title} — {offering.cohort_label}" if offering.cohort_label else title
    if bundle is not None:
        text = _("%(part)s (part of the bundle “%(bundle)s”)") % {"part": text, "bundle": bundle.title}
    return text[:300]


def _policy_snapshot(offering: Offering, now: datetime) -> dict[str, Any]:
    """The refund policy in force when the order is made, kept with its line (issue 7 reads it)."""
    return policy_snapshot(offering, at=now)


def order_abandon(*, order: Order, now: datetime | None = None, action: str = "superseded") -> None:
    """The learner started another checkout for these seats (or cancelled one of them): this
    order's session is expired at Stripe first (so it can never be paid as well), then the order
    is marked expired. Its holds stay: they belong to the new order, or wait for one. A session
    Stripe says is complete was paid: refused."""
    now = now or timezone.now()
    if order.checkout_session_id:
        status = stripe_api.checkout_session_close(
            tenant=order.tenant, session_id=order.checkout_session_id, key=f"order:{order.pk}:expire"
        )
        if status == "complete":
            raise CheckoutRefused(_("This seat was just paid for in an earlier checkout: see your orders."))
    with transaction.atomic():
        locked = locks.lock_order(order_id=order.pk)
        order_transition(locked, OrderStatus.EXPIRED, action=action, now=now)


def checkouts_close_for_cancelled_hold(*, enrollment_id: int, now: datetime | None = None) -> int:
    """A held seat was cancelled (by the learner or staff): every live order holding it is
    closed, its Checkout Session expired at Stripe first, so the cancelled seat can never be paid
    for. The order's other seats stay held; the learner pays for them in a new checkout. A
    session already paid is refused (CheckoutRefused): its webhook takes the late-payment path
    (the seat is taken again if free, else refunded)."""
    closed = 0
    for order in _live_orders_with([enrollment_id]):
        order_abandon(order=order, now=now, action="seat_cancelled")
        OrderLine.objects.filter(order=order, enrollment_id=enrollment_id, status=LineStatus.PENDING).update(
            status=LineStatus.RELEASED
        )
        closed += 1
    return closed


def order_quote(
    *,
    tenant: Tenant,
    learner: User,
    enrollment_ids: Sequence[int],
    code: str = "",
    bundle: Microcredential | None = None,
    now: datetime | None = None,
) -> OrderQuote:
    """The price of these held seats before paying, the code applied (CodeRefused says why it
    cannot be: mistyped, expired, out of scope, used up). Changes nothing; the order made when
    the learner pays checks the code again under its lock."""
    now = now or timezone.now()
    enrollments = _held_enrollments(tenant=tenant, learner=learner, enrollment_ids=enrollment_ids)
    found = promotions.code_find(tenant=tenant, text=code) if normalise_code(code) else None
    discounts: dict[int, int] = {}
    if found is not None and bundle is not None:
        raise CodeRefused(_("A promotion code cannot be combined with a bundle's price."))
    if bundle is not None:
        discounts = bundle_prices(bundle, enrollments)
    if found is not None:
        quote = promotions.code_quote(
            code=found,
            lines=[promotions.PricedLine(e.pk, e.offering, e.offering.price_minor) for e in enrollments],
            now=now,
        )
        discounts = {line.key: line.discount_minor for line in quote}
        mine = Order.objects.filter(learner=learner, lines__enrollment_id__in=[e.pk for e in enrollments])
        uses = _code_uses(found, now).exclude(pk__in=mine.values("pk"))
        if found.max_uses is not None and uses.count() >= found.max_uses:
            raise CodeRefused(_("The code “%(code)s” has been used up.") % {"code": found.code})
        if uses.filter(learner=learner).count() >= found.max_uses_per_learner:
            raise CodeRefused(
                _("You have already used the code “%(code)s” as often as it allows.") % {"code": found.code}
            )
    return OrderQuote(
        lines=[QuoteLine(e, e.offering.price_minor, discounts.get(e.pk, 0)) for e in enrollments],
        currency=enrollments[0].offering.currency,
        code=found,
        bundle=bundle,
    )

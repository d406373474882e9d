"""How payments says things to learners: a refund's note, the order page's heading and line
notes, the card money goes back to, and the context of the order page, receipt and e-mails."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, Sum
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from catalog.models import Microcredential
from catalog.refunds import policy_in_words_for_snapshot, policy_snapshot
from core.money import format_money
from enrollment.models import ACTIVE_STATES, Enrollment
from payments.models import (
    LineStatus,
    Order,
    OrderLine,
    OrderStatus,
    Refund,
    RefundRequester,
    RefundState,
    refund_counted,
)
from payments.quotes import OrderQuote
from payments.selectors import BundlePart, paid_line_of, refunded_minor
from promotions.services import bundle_discounts
from tenants.brand import Brand

CARD_BRANDS = {
    "amex": "American Express",
    "diners": "Diners Club",
    "discover": "Discover",
    "jcb": "JCB",
    "mastercard": "Mastercard",
    "unionpay": "UnionPay",
    "visa": "Visa",
}


def refund_note(refund: Refund) -> str:
    """How a learner sees a refund (My learning, the order page)."""
    amount = format_money(refund.amount_minor, refund.currency)
    if refund.state in (RefundState.REQUESTED, RefundState.PROCESSING):
        return _("Refund of %(amount)s pending.") % {"amount": amount}
    if refund.state == RefundState.SUCCEEDED:
        return _("Refunded: %(amount)s. Your bank may take 5–10 days to show it.") % {"amount": amount}
    if refund.state == RefundState.FAILED:
        return _(
            "The refund of %(amount)s did not go through; the unit has been told and will sort it out."
        ) % {"amount": amount}
    return _("The refund of %(amount)s was settled by the unit.") % {"amount": amount}


def card_words(card: dict[str, Any]) -> str:
    """A charge's card as the learner knows it ("your Visa card ending in 4242"); "" when Stripe
    does not say its last four digits."""
    last4 = str(card.get("last4") or "")
    if not last4:
        return ""
    brand = str(card.get("brand") or "")
    return _("your %(brand)s card ending in %(last4)s") % {
        "brand": CARD_BRANDS.get(brand, brand.title() or _("payment")),
        "last4": last4,
    }


def order_headline(order: Order, *, seats: list[OrderLine], cancelled: list[OrderLine]) -> str:
    """What the order page says the order is: its heading, and its status in the learner's data
    export, so the two never disagree ("paid" on a refunded, cancelled order)."""
    if order.status == OrderStatus.PAID and not seats and cancelled:
        return ngettext(
            "Payment received; the enrollment was cancelled",
            "Payment received; the enrollments were cancelled",
            len(cancelled),
        )
    if order.status == OrderStatus.PAID and not seats:
        return _("Payment received, and refunded")
    if order.status == OrderStatus.PAID and order.amount_minor == 0:
        return _("Fee waived: you are enrolled")
    if order.status == OrderStatus.PAID:
        return _("Payment received: you are enrolled")
    if order.status in (OrderStatus.OPEN, OrderStatus.PROCESSING):
        return _("Processing your payment…")
    if order.status == OrderStatus.DRAFT:
        return _("Payment could not start")
    if order.status == OrderStatus.EXPIRED:
        return _("This checkout expired")
    return _("The payment failed")


def line_status_notes(line: OrderLine, *, cancelled: list[OrderLine]) -> list[str]:
    """What the order page says under a line about its seat (its refunds are said apart)."""
    notes = []
    if line.status in (LineStatus.REFUND_DUE, LineStatus.REFUNDED):
        notes.append(_("No seat was left: refunded in full."))
    if line in cancelled:
        notes.append(_("Enrollment cancelled."))
    return notes


def receipt_context(order: Order) -> dict[str, Any]:
    related = ("unit", "offering__microcredential", "enrollment", "seat_enrollment")
    shown = Refund.objects.exclude(requested_by_kind=RefundRequester.SYSTEM).order_by("created_at", "pk")
    lines = list(
        order.lines.select_related(*related)
        .prefetch_related(Prefetch("refunds", queryset=shown))
        .order_by("pk")
    )
    confirmed = [line for line in lines if line.status == LineStatus.CONFIRMED]
    # A seat paid for and later given up (cancelled by the learner or staff, or the offering
    # cancelled): the page no longer says "you are enrolled" for it.
    given_up = [line for line in confirmed if line.seat.status not in ACTIVE_STATES]
    seats = [line for line in confirmed if line not in given_up]
    units = {line.unit_id: line.unit for line in lines}
    brand = Brand.of_unit(lines[0].unit) if len(units) == 1 else Brand.of_tenant(order.tenant)
    return {
        "order": order,
        "lines": [
            {
                "line": line,
                "amount": format_money(line.amount_minor, line.currency),
                "discount_note": discount_note(order, line),
                "unit": line.unit,
                "status_notes": line_status_notes(line, cancelled=given_up),
                "refund_notes": [refund_note(r) for r in line.refunds.all()],
                "refunds": list(line.refunds.all()),
            }
            for line in lines
        ],
        "headline": order_headline(order, seats=seats, cancelled=given_up),
        "total": format_money(order.amount_minor, order.currency),
        "discount_total": format_money(order.discount_minor, order.currency) if order.discount_minor else "",
        "waived": order.amount_minor == 0 and bool(order.discount_minor),
        "brand": brand,
        "legal_name": order.tenant.name,
        "refunded": [line for line in lines if line.status in (LineStatus.REFUND_DUE, LineStatus.REFUNDED)],
        "seats": seats,
        "cancelled": given_up,
    }


def quote_context(quote: OrderQuote) -> dict[str, Any]:
    """The review page before paying: each seat at its price, the code's part, the refund policy
    the learner agrees to (refunds give back a share of what is paid, never of the list price)."""
    lines = []
    for line in quote.lines:
        offering = line.enrollment.offering
        cur = offering.currency
        note = ""
        if line.discount_minor and quote.bundle is not None:
            note = _("List price %(list)s, less %(off)s as part of the bundle") % {
                "list": format_money(line.list_minor, cur),
                "off": format_money(line.discount_minor, cur),
            }
        elif line.discount_minor and quote.code is not None:
            note = _("List price %(list)s, less %(off)s with code %(code)s") % {
                "list": format_money(line.list_minor, cur),
                "off": format_money(line.discount_minor, cur),
                "code": quote.code.code,
            }
        lines.append(
            {
                "enrollment": line.enrollment,
                "offering": offering,
                "unit": offering.microcredential.unit,
                "amount": format_money(line.amount_minor, cur),
                "discount_note": note,
                "policy": policy_in_words_for_snapshot(
                    policy_snapshot(offering), starts_at=offering.starts_at, time_zone=offering.time_zone
                ),
            }
        )
    units = {line.enrollment.offering.microcredential.unit_id for line in quote.lines}
    first_unit = quote.lines[0].enrollment.offering.microcredential.unit
    return {
        "quote": quote,
        "lines": lines,
        "total": format_money(quote.total_minor, quote.currency),
        "discount_total": format_money(quote.discount_minor, quote.currency) if quote.discount_minor else "",
        "free": quote.total_minor == 0,
        "brand": Brand.of_unit(first_unit) if len(units) == 1 else Brand.of_tenant(first_unit.tenant),
    }


def discount_note(order: Order, line: OrderLine) -> str:
    """ "List price $1,250.00, less $250.00 with code SPRING" (or "fee waived: why")."""
    if not line.discount_minor:
        return ""
    values = {
        "list": format_money(line.list_amount_minor, line.currency),
        "off": format_money(line.discount_minor, line.currency),
        "code": order.promotion_code.code if order.promotion_code_id and order.promotion_code else "",
    }
    if line.amount_minor == 0 and order.waiver_reason:
        return _("List price %(list)s, fee waived") % values
    if order.bundle_id:
        return _("List price %(list)s, less %(off)s as part of a bundle") % values
    if values["code"]:
        return _("List price %(list)s, less %(off)s with code %(code)s") % values
    return _("List price %(list)s, less %(off)s") % values


def cancellation_notes(*, enrollment: Enrollment) -> list[str]:
    """What enrollment's "your enrollment was cancelled" e-mail says about the money of a paid
    seat (enrollment.extensions.cancellation_notes_providers): what is refunded, or that nothing
    is and why. Nothing for a seat that was not paid for."""
    line = paid_line_of(tenant=enrollment.tenant, enrollment_id=enrollment.pk)
    if line is None:
        return []
    with_it = line.refunds.filter(refund_counted(), cancelled_enrollment=True)
    coming = int(with_it.aggregate(total=Sum("amount_minor"))["total"] or 0)
    if coming:
        return [
            _("%(amount)s will be refunded to the card you paid with; it usually shows within 5 to 10 days.")
            % {"amount": format_money(coming, line.currency)}
        ]
    if refunded_minor(line) >= line.amount_minor:
        return [
            _("Nothing more is refunded: the %(amount)s you paid was refunded in full before.")
            % {"amount": format_money(line.amount_minor, line.currency)}
        ]
    last = enrollment.events.order_by("-at", "-pk").first()
    if last is not None and last.actor_id == enrollment.learner_id:
        return [_("No refund applies: under the refund policy you agreed to, cancelling now gives nothing.")]
    return [
        _(
            "No refund applies: %(unit)s cancelled your seat without a refund. If you think you are "
            "owed one, reply to this e-mail."
        )
        % {"unit": Brand.of_unit(line.unit).name}
    ]


def bundle_context(
    bundle: Microcredential, parts: list[BundlePart], chosen: dict[int, int | None]
) -> dict[str, Any]:
    """The bundle page: each part with its runs (the chosen one marked), and what the chosen runs
    cost apart and together."""
    rows = []
    picked: dict[int, int] = {}
    currencies = set()
    for part in parts:
        runs = []
        for run in part.runs:
            is_chosen = chosen.get(part.microcredential.pk) == run.pk
            if is_chosen:
                picked[run.pk] = run.price_minor
                currencies.add(run.currency)
            runs.append(
                {
                    "offering": run,
                    "price": format_money(run.price_minor, run.currency),
                    "chosen": is_chosen,
                    "full": run.is_full,
                }
            )
        rows.append({"part": part.microcredential, "runs": runs})
    context: dict[str, Any] = {
        "bundle": bundle,
        "parts": rows,
        "brand": Brand.of_unit(bundle.unit),
        "complete": len(picked) == len(parts) and all(row["runs"] for row in rows),
    }
    if len(currencies) == 1 and picked:
        (currency,) = currencies
        saving = sum(
            bundle_discounts(percent=int(bundle.bundle_discount_percent or 0), prices=picked).values()
        )
        apart = sum(picked.values())
        context.update(
            apart=format_money(apart, currency),
            together=format_money(apart - saving, currency),
            saving=format_money(saving, currency),
        )
    return context

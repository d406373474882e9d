"""Reads: what each line of a payout was, in our own words, so finance can tell who bought what.

A payment (`ch_…`, `py_…`) is the order Stripe charged (`Order.charge_id`); a refund or a failed
refund (`re_…`) is our Refund and the order line it gave money back on; a transfer (or its
reversal) is the order the ledger recorded it for. Each names the order's reference, the e-mail it
was bought with, and the offerings (microcredential title and cohort) with their units. Stripe's
own fees, adjustments, application fees and payout lines belong to no order: they say what they
are. Three queries whatever the number of lines (orders with their lines, refunds with theirs).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from django.db.models import Prefetch, Q
from django.utils.translation import gettext as _

from payments.models import Order, OrderLine, Refund
from tenants.models import Tenant

CHARGE_TYPES = frozenset({"charge", "payment"})
REFUND_TYPES = frozenset({"refund", "payment_refund", "refund_failure", "payment_failure_refund"})


def type_label(kind: str) -> str:
    """A balance transaction's type, as finance says it."""
    labels = {
        "charge": _("Payment"),
        "payment": _("Payment"),
        "refund": _("Refund"),
        "payment_refund": _("Refund"),
        "refund_failure": _("Refund failed: money back"),
        "payment_failure_refund": _("Refund failed: money back"),
        "transfer": _("Transfer to the unit's Stripe account"),
        "transfer_refund": _("Transfer reversed"),
        "application_fee": _("Application fee from a connected unit's payment"),
        "application_fee_refund": _("Application fee refunded"),
        "stripe_fee": _("Stripe's own fee (billing, not a payment's)"),
        "adjustment": _("Adjustment by Stripe (a dispute, a correction)"),
        "payout": _("Payout to the bank"),
        "payout_failure": _("Payout failed: money back"),
        "payout_cancel": _("Payout cancelled"),
        "reserve_transaction": _("Held in reserve by Stripe"),
        "reserved_funds": _("Held in reserve by Stripe"),
    }
    return labels.get(kind, _("Stripe: %(type)s") % {"type": kind.replace("_", " ")})


@dataclass(frozen=True)
class Sale:
    """One order line behind a payout line."""

    offering: str  # "Title — cohort"
    unit: str


@dataclass(frozen=True)
class Origin:
    what: str
    order_ref: str = ""
    email: str = ""
    sales: tuple[Sale, ...] = ()
    known: bool = True  # False: a payment or refund that no order of ours accounts for

    @property
    def offerings(self) -> str:
        return "; ".join(s.offering for s in self.sales)

    @property
    def units(self) -> str:
        return "; ".join(dict.fromkeys(s.unit for s in self.sales))


NO_ORIGIN = Origin(what="")


class Line(Protocol):
    """What origins_of needs of a payout line: its type, Stripe source, the unit it is shown
    under (None: every unit's part) and the order the ledger recorded it for; it sets `origin`."""

    type: str
    source_id: str
    unit_id: int | None
    order_ref: str
    origin: Origin


def _sale(line: OrderLine) -> Sale:
    return Sale(offering=str(line.offering), unit=line.unit.name)


def _from_order(what: str, order: Order, unit_id: int | None) -> Origin:
    lines = [ln for ln in order.lines.all() if unit_id is None or ln.unit_id == unit_id]
    return Origin(what, order.reference, order.email, tuple(_sale(ln) for ln in lines))


def origins_of(*, tenant: Tenant, lines: Sequence[Line]) -> None:
    """Set each line's origin."""
    charges = {ln.source_id for ln in lines if ln.type in CHARGE_TYPES and ln.source_id}
    refunds = {ln.source_id for ln in lines if ln.type in REFUND_TYPES and ln.source_id}
    refs = {ln.order_ref for ln in lines if ln.order_ref}
    by_charge: dict[str, Order] = {}
    by_ref: dict[str, Order] = {}
    if charges or refs:
        order_lines = OrderLine.objects.select_related("offering__microcredential", "unit").order_by("pk")
        for order in (
            Order.objects.filter(tenant=tenant)
            .filter(Q(charge_id__in=charges) | Q(reference__in=refs))
            .prefetch_related(Prefetch("lines", queryset=order_lines))
        ):
            by_ref[order.reference] = order
            if order.charge_id:
                by_charge[order.charge_id] = order
    by_refund: dict[str, Refund] = {}
    if refunds:
        found = Refund.objects.filter(tenant=tenant, stripe_refund_id__in=refunds).select_related(
            "line__order", "line__offering__microcredential", "line__unit"
        )
        by_refund = {r.stripe_refund_id: r for r in found}
    for ln in lines:
        ln.origin = _origin(ln, by_charge, by_ref, by_refund)


def _origin(
    ln: Line, by_charge: dict[str, Order], by_ref: dict[str, Order], by_refund: dict[str, Refund]
) -> Origin:
    what = type_label(ln.type)
    if ln.type in REFUND_TYPES and (refund := by_refund.get(ln.source_id)) is not None:
        sale = _sale(refund.line)
        return Origin(what, refund.line.order.reference, refund.line.order.email, (sale,))
    order = by_charge.get(ln.source_id) if ln.type in CHARGE_TYPES else None
    order = order or by_ref.get(ln.order_ref)
    if order is not None:
        return _from_order(what, order, ln.unit_id)
    if ln.type in CHARGE_TYPES | REFUND_TYPES:
        return Origin(what, known=False)
    return Origin(what)

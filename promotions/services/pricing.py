"""What a promotion code takes off an order's seats, and why it may not.

Pure arithmetic over the seats' list prices, no caps (payments counts a code's uses under the
code's row lock, where two learners racing for its last use are told apart):
- a percentage comes off each seat in scope, half up to the minor unit;
- a fixed amount comes off the seats in scope together, at most their sum, split to them pro rata
  to their list prices by largest remainder (core.money.pro_rata_split), so each unit bears the
  part of its own seats.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.utils.translation import gettext as _

from catalog.models import Offering
from core.money import pro_rata_split
from promotions.errors import CodeRefused
from promotions.models import DiscountKind, PromotionCode
from promotions.services.codes import normalise_code
from tenants.models import Tenant


@dataclass(frozen=True)
class PricedLine:
    """A seat at its list price (the offering's price now)."""

    key: int  # the caller's key for the line (an enrollment id)
    offering: Offering
    list_minor: int


@dataclass(frozen=True)
class LineDiscount:
    key: int
    list_minor: int
    discount_minor: int

    @property
    def paid_minor(self) -> int:
        return self.list_minor - self.discount_minor


def code_find(*, tenant: Tenant, text: str) -> PromotionCode:
    """The tenant's code the learner typed (any case, spaces ignored), or CodeRefused."""
    code = normalise_code(text)
    if not code:
        raise CodeRefused(_("Enter a promotion code."))
    found = (
        PromotionCode.objects.filter(tenant=tenant, code__iexact=code)
        .select_related("unit", "microcredential")
        .first()
    )
    if found is None:
        raise CodeRefused(
            _("There is no promotion code “%(code)s”. Check how it is spelled.") % {"code": code}
        )
    return found


def _in_scope(code: PromotionCode, offering: Offering, offering_ids: frozenset[int]) -> bool:
    if code.unit_id is not None and offering.microcredential.unit_id != code.unit_id:
        return False
    if code.microcredential_id is not None and offering.microcredential_id != code.microcredential_id:
        return False
    return not offering_ids or offering.pk in offering_ids


def code_in_force(code: PromotionCode, now: datetime) -> None:
    """CodeRefused unless the code is active and within its dates."""
    if not code.is_active:
        raise CodeRefused(_("The code “%(code)s” has been withdrawn.") % {"code": code.code})
    if code.valid_from is not None and now < code.valid_from:
        raise CodeRefused(_("The code “%(code)s” cannot be used yet.") % {"code": code.code})
    if code.valid_until is not None and now >= code.valid_until:
        raise CodeRefused(_("The code “%(code)s” has expired.") % {"code": code.code})


def code_quote(*, code: PromotionCode, lines: Sequence[PricedLine], now: datetime) -> list[LineDiscount]:
    """Each line's discount under this code (0 for the lines out of its scope), or CodeRefused
    saying why the code cannot be used now for any of them."""
    code_in_force(code, now)
    offering_ids = frozenset(code.offerings.values_list("pk", flat=True))
    scoped = {line.key for line in lines if line.list_minor and _in_scope(code, line.offering, offering_ids)}
    if not scoped:
        raise CodeRefused(
            _("The code “%(code)s” does not apply to what you are paying for.") % {"code": code.code}
        )
    discounts = dict.fromkeys((line.key for line in lines), 0)
    if code.kind == DiscountKind.PERCENT:
        percent = int(code.percent_off or 0)
        for line in lines:
            if line.key in scoped:
                discounts[line.key] = min(line.list_minor, (line.list_minor * percent * 2 + 100) // 200)
    else:
        currencies = {line.offering.currency for line in lines if line.key in scoped}
        if currencies != {code.currency}:
            raise CodeRefused(
                _("The code “%(code)s” is for prices in %(currency)s.")
                % {"code": code.code, "currency": code.currency}
            )
        prices = {line.key: line.list_minor for line in lines if line.key in scoped}
        off = min(int(code.amount_off_minor or 0), sum(prices.values()))
        discounts.update(pro_rata_split(off, prices))
    return [LineDiscount(line.key, line.list_minor, discounts[line.key]) for line in lines]


def bundle_discounts(*, percent: int, prices: dict[int, int]) -> dict[int, int]:
    """A bundle's saving: `percent` of the sum of its parts' prices (half up), split to the
    parts pro rata to their prices by largest remainder, so each unit bears its own share."""
    total = sum(prices.values())
    off = min(total, (total * percent * 2 + 100) // 200)
    return pro_rata_split(off, prices)

"""What held seats would cost before the learner pays (payments.services.orders.order_quote)."""

from __future__ import annotations

from dataclasses import dataclass

from catalog.models import Microcredential
from enrollment.models import Enrollment
from promotions.models import PromotionCode


@dataclass(frozen=True)
class QuoteLine:
    enrollment: Enrollment
    list_minor: int
    discount_minor: int

    @property
    def amount_minor(self) -> int:
        return self.list_minor - self.discount_minor


@dataclass(frozen=True)
class OrderQuote:
    """What the learner would pay for these held seats, with the code if it applies."""

    lines: list[QuoteLine]
    currency: str
    code: PromotionCode | None
    bundle: Microcredential | None = None

    @property
    def total_minor(self) -> int:
        return sum(line.amount_minor for line in self.lines)

    @property
    def discount_minor(self) -> int:
        return sum(line.discount_minor for line in self.lines)

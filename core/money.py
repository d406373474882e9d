"""Money for people: integer minor units plus an ISO 4217 code in, text out; and back for forms.

Minor units follow Stripe (which is what charges them): most currencies have two decimals,
Stripe's zero-decimal currencies none. Display follows Babel/CLDR in the active language.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Protocol, TypeVar

from babel.numbers import format_currency, get_currency_precision, is_currency
from django.utils import translation
from django.utils.translation import gettext as _

# https://docs.stripe.com/currencies#zero-decimal
ZERO_DECIMAL_CURRENCIES = frozenset(
    {"BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF"}
    | {"XPF"}
)
# https://docs.stripe.com/currencies#three-decimal
THREE_DECIMAL_CURRENCIES = frozenset(["BHD", "JOD", "KWD", "OMR", "TND"])


# Stripe charges at most eight digits of minor units (999,999.99 USD; 99,999,999 JPY), so no
# price, fee or refund may be larger: https://docs.stripe.com/currencies#minimum-and-maximum-charge-amounts
MAX_AMOUNT_MINOR = 99_999_999


class MoneyInputError(ValueError):
    """An amount a person typed that the currency cannot hold."""


class MoneyTooLarge(MoneyInputError):
    """More than Stripe can charge (MAX_AMOUNT_MINOR)."""


def too_large_message(currency: str, *, noun: str = "") -> str:
    """ "A price can be at most €999,999.99." """
    largest = format_money(MAX_AMOUNT_MINOR, currency)
    if noun == "price":
        return _("A price can be at most %(max)s.") % {"max": largest}
    return _("An amount can be at most %(max)s.") % {"max": largest}


@dataclass(frozen=True)
class Money:
    amount_minor: int
    currency: str

    def __str__(self) -> str:
        return format_money(self.amount_minor, self.currency)


def minor_exponent(currency: str) -> int:
    code = currency.upper()
    if code in ZERO_DECIMAL_CURRENCIES:
        return 0
    if code in THREE_DECIMAL_CURRENCIES:
        return 3
    return 2


def known_currency(code: str) -> bool:
    return len(code) == 3 and code.isalpha() and code.isupper() and is_currency(code)


def _babel_locale() -> str:
    return (translation.get_language() or "en").replace("-", "_")


def to_major(amount_minor: int, currency: str) -> Decimal:
    return Decimal(amount_minor).scaleb(-minor_exponent(currency))


def format_money(amount_minor: int, currency: str) -> str:
    """ "$1,250.00", "¥12,000", "CA$180.00" (in English). Babel rounds half-to-even, so the
    amount is rounded half-up to the currency's display digits first."""
    amount = to_major(amount_minor, currency)
    digits = get_currency_precision(currency)
    amount = amount.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    return format_currency(amount, currency, locale=_babel_locale())


def format_price(amount_minor: int, currency: str) -> str:
    """A price on a catalog page: "Free" when zero."""
    return _("Free") if amount_minor == 0 else format_money(amount_minor, currency)


def parse_amount(text: str | Decimal) -> Decimal:
    """What any currency refuses: not a number, or below zero."""
    raw = str(text).strip().replace(",", "").replace("_", "")
    try:
        amount = Decimal(raw)
    except InvalidOperation:
        raise MoneyInputError(_("Enter an amount like 1250.00.")) from None
    if amount.is_nan():
        raise MoneyInputError(_("Enter an amount like 1250.00."))
    if amount < 0:
        raise MoneyInputError(_("Enter an amount of zero or more."))
    return amount


def parse_major(text: str | Decimal, currency: str) -> int:
    """ "1,250.00" USD → 125000. Refuses more decimals than the currency has, and more than
    Stripe can charge."""
    amount = parse_amount(text)
    exponent = minor_exponent(currency)
    if amount.is_infinite() or amount.adjusted() > 12 or amount.scaleb(exponent) > MAX_AMOUNT_MINOR:
        raise MoneyTooLarge(too_large_message(currency))
    minor = amount.scaleb(exponent)
    if minor != minor.to_integral_value():
        if exponent == 0:
            raise MoneyInputError(
                _("%(currency)s has no minor unit: enter a whole amount.") % {"currency": currency}
            )
        raise MoneyInputError(
            _("%(currency)s has %(n)d decimal places at most.") % {"currency": currency, "n": exponent}
        )
    return int(minor)


class _Orderable(Hashable, Protocol):
    def __lt__(self, other: Any, /) -> bool: ...


K = TypeVar("K", bound=_Orderable)


def pro_rata_split(fee: int, shares: Mapping[K, int]) -> dict[K, int]:
    """Split `fee` (an amount) pro rata to `shares` (largest remainder; ties go to the smaller key).

    The parts sum exactly to `fee`, and each differs from its exact proportion by less than one
    minor unit. A negative fee (a fee given back) splits as its opposite.
    """
    if any(share < 0 for share in shares.values()):
        raise ValueError("Fee shares cannot be negative.")
    total = sum(shares.values())
    if total == 0:
        if fee != 0:
            raise ValueError("A fee cannot be split over nothing.")
        return dict.fromkeys(shares, 0)
    sign, magnitude = (-1, -fee) if fee < 0 else (1, fee)
    parts = {key: magnitude * share // total for key, share in shares.items()}
    remainders = {key: magnitude * share % total for key, share in shares.items()}
    left = magnitude - sum(parts.values())
    for key in sorted(shares, key=lambda k: (-remainders[k], k))[:left]:
        parts[key] += 1
    return {key: sign * part for key, part in parts.items()}

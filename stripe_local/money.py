"""Money in integer minor units, as Stripe keeps it, and the local server's processing fee."""

from __future__ import annotations

# Stripe's zero-decimal currencies: an amount of 500 JPY is ¥500, not ¥5.00.
ZERO_DECIMAL = frozenset(
    {
        "bif",
        "clp",
        "djf",
        "gnf",
        "jpy",
        "kmf",
        "krw",
        "mga",
        "pyg",
        "rwf",
        "ugx",
        "vnd",
        "vuv",
        "xaf",
        "xof",
        "xpf",
    }
)
# Stripe's minimum charge amounts for the currencies we expect; others use 50 minor units.
MINIMUM_CHARGE = {"usd": 50, "eur": 50, "cad": 50, "aud": 50, "nzd": 50, "chf": 50, "gbp": 30, "jpy": 50}

FEE_PER_MILLE = 29  # 2.9 %
FEE_FIXED = 30  # minor units


def processing_fee(amount: int) -> int:
    """2.9 % of the amount rounded half up to a whole minor unit, plus 30 minor units:
    1000 → 29 + 30 = 59; 1050 → 30.45 → 30, + 30 = 60; 5000 → 145 + 30 = 175."""
    return (amount * FEE_PER_MILLE + 500) // 1000 + FEE_FIXED


def minimum_charge(currency: str) -> int:
    return MINIMUM_CHARGE.get(currency, 50)


def format_amount(amount: int, currency: str) -> str:
    """For the hosted page: `4900, "usd"` → `49.00 USD`; `500, "jpy"` → `500 JPY`."""
    code = currency.upper()
    if currency in ZERO_DECIMAL:
        return f"{amount:,} {code}"
    sign = "-" if amount < 0 else ""
    whole, cents = divmod(abs(amount), 100)
    return f"{sign}{whole:,}.{cents:02d} {code}"


def proportion(total: int, part: int, of: int) -> int:
    """`total × part / of`, rounded half up: how much of a transfer or application fee a partial
    refund reverses."""
    if of <= 0:
        return 0
    return (2 * total * part + of) // (2 * of)

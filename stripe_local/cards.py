"""Stripe's test cards, and what each does here (https://docs.stripe.com/testing).

A card number outside this table is refused the way Stripe's test mode refuses real cards.
The `pm_card_*` test payment methods Stripe accepts in test mode map to the same cards, so
`payment_intents.create(confirm=True, payment_method="pm_card_visa")` works too.
"""

from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass

from stripe_local.models import Card
from stripe_local.store import Store


@dataclass(frozen=True, slots=True)
class KnownCard:
    number: str
    brand: str
    funding: str = "credit"
    country: str = "US"
    decline_code: str | None = None  # the charge is declined with this decline code
    refund_failure: str | None = None  # refunds succeed, then fail later with this failure_reason
    available_at_once: bool = False  # funds skip the pending balance
    summary: str = "Succeeds"


TEST_CARDS: dict[str, KnownCard] = {
    card.number: card
    for card in (
        KnownCard("4242424242424242", "visa"),
        KnownCard("4000056655665556", "visa", funding="debit"),
        KnownCard("5555555555554444", "mastercard"),
        KnownCard("378282246310005", "amex"),
        KnownCard(
            "4000000000000077",
            "visa",
            available_at_once=True,
            summary="Succeeds; funds are available at once",
        ),
        KnownCard(
            "4000000000005126",
            "visa",
            refund_failure="expired_or_canceled_card",
            summary="Succeeds; a refund of it succeeds, then fails",
        ),
        KnownCard("4000000000000002", "visa", decline_code="generic_decline", summary="Declined"),
        KnownCard(
            "4000000000009995",
            "visa",
            decline_code="insufficient_funds",
            summary="Declined: insufficient funds",
        ),
        KnownCard("4000000000009987", "visa", decline_code="lost_card", summary="Declined: lost card"),
        KnownCard("4000000000009979", "visa", decline_code="stolen_card", summary="Declined: stolen card"),
        KnownCard("4000000000000069", "visa", decline_code="expired_card", summary="Declined: expired card"),
        KnownCard(
            "4000000000000127", "visa", decline_code="incorrect_cvc", summary="Declined: incorrect CVC"
        ),
        KnownCard(
            "4000000000000119", "visa", decline_code="processing_error", summary="Declined: processing error"
        ),
    )
}

TEST_PAYMENT_METHODS: dict[str, str] = {
    "pm_card_visa": "4242424242424242",
    "pm_card_visa_debit": "4000056655665556",
    "pm_card_mastercard": "5555555555554444",
    "pm_card_amex": "378282246310005",
    "pm_card_bypassPending": "4000000000000077",
    "pm_card_refundFail": "4000000000005126",
    "pm_card_chargeDeclined": "4000000000000002",
    "pm_card_chargeDeclinedInsufficientFunds": "4000000000009995",
    "pm_card_chargeDeclinedLostCard": "4000000000009987",
    "pm_card_chargeDeclinedStolenCard": "4000000000009979",
    "pm_card_chargeDeclinedExpiredCard": "4000000000000069",
    "pm_card_chargeDeclinedIncorrectCvc": "4000000000000127",
    "pm_card_chargeDeclinedProcessingError": "4000000000000119",
}


@dataclass(frozen=True, slots=True)
class Decline:
    code: str
    decline_code: str
    message: str


# (error code, message) per decline code, as Stripe words them.
_DECLINES = {
    "generic_decline": ("card_declined", "Your card was declined."),
    "insufficient_funds": ("card_declined", "Your card has insufficient funds."),
    "lost_card": ("card_declined", "Your card was declined."),
    "stolen_card": ("card_declined", "Your card was declined."),
    "test_mode_live_card": (
        "card_declined",
        "Your card was declined. Your request was in test mode, but used a non test (live) card.",
    ),
    "expired_card": ("expired_card", "Your card has expired."),
    "incorrect_cvc": ("incorrect_cvc", "Your card's security code is incorrect."),
    "processing_error": (
        "processing_error",
        "An error occurred while processing your card. Try again in a little bit.",
    ),
}
DECLINE_CODES = tuple(_DECLINES)


def decline(decline_code: str) -> Decline:
    code, message = _DECLINES[decline_code]
    return Decline(code, decline_code, message)


def luhn_valid(number: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(number)):
        digit = int(char)
        if index % 2 == 1:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def normalise(number: str) -> str:
    return "".join(char for char in number if not char.isspace() and char != "-")


def lookup(number: str) -> KnownCard:
    """The test card for a Luhn-valid number; any other valid number behaves as a live card
    does in test mode (declined)."""
    found = TEST_CARDS.get(number)
    if found is not None:
        return found
    brand = "visa" if number.startswith("4") else "mastercard" if number.startswith("5") else "unknown"
    return KnownCard(number, brand, decline_code="test_mode_live_card", summary="Declined: not a test card")


def card_details(card: KnownCard, exp_month: int, exp_year: int) -> Card:
    fingerprint = hashlib.sha256(card.number.encode()).hexdigest()[:16]
    return Card(
        brand=card.brand,
        last4=card.number[-4:],
        exp_month=exp_month,
        exp_year=exp_year,
        funding=card.funding,
        country=card.country,
        fingerprint=fingerprint,
    )


# What the hosted page reads --------------------------------------------------------------------


class CardInputError(Exception):
    """What Stripe's page says before any charge is attempted: the card details are unusable."""

    def __init__(self, field: str, code: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.code = code
        self.message = message


@dataclass(frozen=True)
class CardInput:
    number: str
    exp_month: int
    exp_year: int
    cvc: str


def read_card(store: Store, number: str, expiry: str, cvc: str) -> CardInput:
    """The hosted page's fields: number (spaces allowed), expiry `MM / YY` or `MM/YYYY`, CVC."""
    digits = normalise(number)
    if not digits.isdigit() or not 12 <= len(digits) <= 19 or not luhn_valid(digits):
        raise CardInputError("number", "incorrect_number", "Your card number is incorrect.")
    match = re.match(r"^\s*(\d{1,2})\s*/\s*(\d{2}|\d{4})\s*$", expiry)
    if match is None or not 1 <= int(match.group(1)) <= 12:
        raise CardInputError("expiry", "invalid_expiry_month", "Your card's expiration date is incomplete.")
    month, year = int(match.group(1)), int(match.group(2))
    year = year + 2000 if year < 100 else year
    today = time.gmtime(store.now())
    if (year, month) < (today.tm_year, today.tm_mon):
        raise CardInputError("expiry", "invalid_expiry_year", "Your card's expiration date is in the past.")
    wanted = 4 if lookup(digits).brand == "amex" else 3
    if not cvc.strip().isdigit() or len(cvc.strip()) != wanted:
        raise CardInputError("cvc", "invalid_cvc", "Your card's security code is incomplete.")
    return CardInput(digits, month, year, cvc.strip())

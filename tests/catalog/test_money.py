import pytest
from django.template import Context, Template

from core.money import MoneyInputError, format_money, format_price, parse_major


@pytest.mark.parametrize(
    ("amount_minor", "currency", "shown"),
    [
        (125000, "USD", "$1,250.00"),
        (12000, "JPY", "¥12,000"),  # no minor unit: 12000 minor units are 12,000 yen
        (18000, "CAD", "CA$180.00"),
        (9950, "GBP", "£99.50"),
        (1234567, "EUR", "€12,345.67"),
        (5, "USD", "$0.05"),
        (1005, "KWD", "KWD1.005"),  # three decimals
    ],
)
def test_money_is_shown_with_the_currency_s_own_decimals(amount_minor, currency, shown):
    assert format_money(amount_minor, currency) == shown


def test_a_zero_price_reads_free():
    assert format_price(0, "USD") == "Free"
    assert format_price(0, "JPY") == "Free"
    assert format_price(99, "USD") == "$0.99"


def test_the_template_filters_format_through_the_same_function():
    class Priced:
        price_minor = 12000
        currency = "JPY"

    rendered = Template("{% load catalog %}{{ p|price }} / {{ fee|money:'USD' }}").render(
        Context({"p": Priced(), "fee": 2500})
    )

    assert rendered == "¥12,000 / $25.00"


@pytest.mark.parametrize(
    ("typed", "currency", "minor"),
    [("1250.00", "USD", 125000), ("1,250", "USD", 125000), ("12000", "JPY", 12000), ("0", "USD", 0)],
)
def test_typed_amounts_become_minor_units(typed, currency, minor):
    assert parse_major(typed, currency) == minor


@pytest.mark.parametrize(
    ("typed", "currency", "message"),
    [
        ("12000.50", "JPY", "JPY has no minor unit: enter a whole amount."),
        ("10.005", "USD", "USD has 2 decimal places at most."),
        ("-5", "USD", "Enter an amount of zero or more."),
        ("twelve", "USD", "Enter an amount like 1250.00."),
    ],
)
def test_amounts_the_currency_cannot_hold_are_refused(typed, currency, message):
    with pytest.raises(MoneyInputError, match=message):
        parse_major(typed, currency)


@pytest.mark.parametrize("text", ["100000000", "1e309", "Infinity", "1e999999999"])
def test_an_amount_beyond_what_stripe_charges_is_refused_in_money(text):
    with pytest.raises(MoneyInputError, match=r"An amount can be at most \$999,999.99."):
        parse_major(text, "USD")


def test_the_largest_amount_stripe_charges_is_accepted():
    assert parse_major("999999.99", "USD") == 99_999_999
    assert parse_major("99999999", "JPY") == 99_999_999

"""Promotions' services: making codes (codes), and what a code takes off an order (pricing)."""

from promotions.services.codes import (
    batch_create,
    batch_csv_header,
    batch_csv_rows,
    code_create,
    code_deactivate,
    discount_in_words,
    normalise_code,
)
from promotions.services.pricing import (
    LineDiscount,
    PricedLine,
    bundle_discounts,
    code_find,
    code_in_force,
    code_quote,
)

__all__ = [
    "LineDiscount",
    "PricedLine",
    "batch_create",
    "batch_csv_header",
    "batch_csv_rows",
    "bundle_discounts",
    "code_create",
    "code_deactivate",
    "code_find",
    "code_in_force",
    "code_quote",
    "discount_in_words",
    "normalise_code",
]

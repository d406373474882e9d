"""Money and dates in templates. Every amount a person reads goes through core.money."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import template

from catalog.presenters import credits_text
from catalog.selectors import SeatCount, offering_seats
from core import dates
from core.dates import date_range
from core.money import format_money, format_price

register = template.Library()


@register.filter
def money(amount_minor: int | None, currency: str) -> str:
    """{{ policy.cancellation_fee_minor|money:policy.currency }} → "$25.00", "¥12,000"."""
    if amount_minor is None or not currency:
        return ""
    return format_money(int(amount_minor), currency)


@register.filter
def price(priced: Any) -> str:
    """{{ offering|price }} → "Free" or "$1,250.00"."""
    return format_price(int(priced.price_minor), str(priced.currency))


@register.simple_tag
def local_dates(offering: Any) -> str:
    """An offering's dates in its own time zone: "12 Jan – 23 Feb 2026"."""
    return date_range(offering.starts_at, offering.ends_at, offering.tz)


@register.filter
def credits(microcredential: Any) -> str:
    """{{ microcredential|credits }} → "3 CEU", "2.5 ECTS credits", "10 credit hours" or ""."""
    return credits_text(microcredential)


@register.filter
def seats(offering: Any) -> SeatCount:
    """{% with count=offering|seats %}{{ count.taken }} / {{ count.capacity }}{% endwith %}: the
    one seat count every page shows (catalog.selectors.offering_seats)."""
    return offering_seats(offering)


@register.filter
def when(value: datetime | None) -> str:
    """The one date-and-time format for people: "2 Dec 2026, 07:37 CET", in the current zone (the
    tenant's, activated per request by tenants.middleware), labelled with that zone."""
    return dates.when(value)

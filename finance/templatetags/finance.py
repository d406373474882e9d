from __future__ import annotations

from django import template

from finance.models import MatchState
from finance.presenters import money as _money

register = template.Library()


@register.filter
def money(amount: int | None, currency: str) -> str:
    return _money(amount, currency)


@register.filter
def match_label(value: str) -> str:
    try:
        return str(MatchState(value).label)
    except ValueError:
        return value


@register.filter
def get_item(mapping: dict[str, str], key: str) -> str:
    return mapping.get(key, "")

"""Refund policies as data: what a cancellation gives back, and the same rules in plain words.

The refunds issue computes real refunds with `refund_due_minor`; pages show `policy_in_words`.
Both read the same tiers, so what a learner is promised is what they get.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from catalog.models import RefundPolicy, RefundTier
from catalog.money import format_money


@dataclass(frozen=True)
class Tier:
    days_before_start: int
    refund_percent: int


@dataclass(frozen=True)
class PolicyTerms:
    """A policy's rules detached from the database (also what an order keeps at purchase)."""

    tiers: tuple[Tier, ...]
    cancellation_fee_minor: int
    currency: str
    frees_seat: bool

    @classmethod
    def of(cls, policy: RefundPolicy, tiers: Sequence[RefundTier] | None = None) -> PolicyTerms:
        rows = list(policy.tiers.all()) if tiers is None else list(tiers)
        ordered = sorted(
            (Tier(t.days_before_start, t.refund_percent) for t in rows),
            key=lambda t: t.days_before_start,
            reverse=True,
        )
        return cls(tuple(ordered), policy.cancellation_fee_minor, policy.currency, policy.frees_seat)


def days_before(starts_at: datetime, at: datetime) -> int:
    """Whole days left before the start; negative once it has started."""
    return math.floor((starts_at - at) / timedelta(days=1))


def refund_percent(terms: PolicyTerms, *, starts_at: datetime, at: datetime) -> int:
    if at >= starts_at:
        return 0
    left = days_before(starts_at, at)
    for tier in terms.tiers:  # most days first
        if left >= tier.days_before_start:
            return tier.refund_percent
    return 0


def refund_due_minor(terms: PolicyTerms, *, paid_minor: int, starts_at: datetime, at: datetime) -> int:
    """What goes back for a cancellation at `at`: the tier's share (rounded down to the minor
    unit), less the cancellation fee, never below zero."""
    share = paid_minor * refund_percent(terms, starts_at=starts_at, at=at) // 100
    if share == 0:
        return 0
    return max(share - terms.cancellation_fee_minor, 0)


def _percent_phrase(percent: int) -> str:
    if percent == 100:
        return _("A full refund")
    return _("%(percent)d%% back") % {"percent": percent}


def policy_in_words(terms: PolicyTerms) -> list[str]:
    """The policy as sentences a learner reads before paying, from the tiers themselves."""
    sentences: list[str] = []
    tiers = [t for t in terms.tiers if t.refund_percent > 0]
    previous_days: int | None = None
    for tier in terms.tiers:
        if tier.refund_percent == 0:  # validation keeps tiers non-increasing: the rest are 0 too
            break
        days = tier.days_before_start
        if days == 0:
            when = (
                _("if you cancel any time before the start")
                if previous_days is None
                else _("if you cancel later, up to the start")
            )
        elif previous_days is None:
            when = ngettext(
                "if you cancel at least %(days)d day before the start",
                "if you cancel at least %(days)d days before the start",
                days,
            ) % {"days": days}
        else:
            when = ngettext(
                "if you cancel later, but at least %(days)d day before the start",
                "if you cancel later, but at least %(days)d days before the start",
                days,
            ) % {"days": days}
        sentences.append(f"{_percent_phrase(tier.refund_percent)} {when}.")
        previous_days = days
    if not tiers:
        sentences.append(_("No refund if you cancel."))
    elif previous_days == 0:
        sentences.append(_("No refund once the course has started."))
    else:
        sentences.append(
            ngettext(
                "No refund if you cancel less than %(days)d day before the start.",
                "No refund if you cancel less than %(days)d days before the start.",
                previous_days or 0,
            )
            % {"days": previous_days}
        )
    if tiers and terms.cancellation_fee_minor:
        sentences.append(
            _("A cancellation fee of %(fee)s is kept from any refund.")
            % {"fee": format_money(terms.cancellation_fee_minor, terms.currency)}
        )
    if terms.frees_seat:
        sentences.append(_("When you cancel, your seat goes to the next person waiting."))
    else:
        sentences.append(_("When you cancel, your seat is not passed on to anyone else."))
    return sentences

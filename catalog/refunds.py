"""Refund policies as data: what a cancellation gives back, and the same rules in plain words.

**The boundary.** A tier "N days before the start" ends at its *deadline*: the start's
wall-clock time in the offering's time zone, N calendar days earlier (a course starting Tue
10 Nov 2026 at 09:00 in Los Angeles has its 14-day deadline on Tue 27 Oct 2026 at 09:00 there,
although a clock change lies between: 14 × 24 h + 1 h). A tier applies to a cancellation made
*strictly before* its deadline ("more than 14 days before the start"); at the deadline itself the
next tier applies. A tier of 0 days applies strictly before the start. Nothing comes back at or
after the start. A deadline whose wall time happens twice or not at all on a clock-change day is
the later of the two instants (the learner's favour).

**The amount.** The tier's percentage of what was paid, rounded *up* to a whole minor unit (the
learner's favour), less the cancellation fee; the fee never takes a refund below zero, and is
kept only from a refund (no refund, no fee).

**The snapshot.** `policy_snapshot(offering)` is the policy in force (the offering's own, else its
unit's default, else no refunds) as plain JSON data, stored with an order at purchase;
`refund_quote` and `policy_in_words_for_snapshot` read only the snapshot, so a policy changed
later never changes what a learner was promised.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import OuterRef, Q
from django.db.models.functions import JSONObject
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from catalog.models import Offering, RefundPolicy, RefundTier
from core.money import format_money, known_currency

SNAPSHOT_VERSION = 1


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
        return cls(
            _ordered(Tier(t.days_before_start, t.refund_percent) for t in rows),
            policy.cancellation_fee_minor,
            policy.currency,
            policy.frees_seat,
        )

    @classmethod
    def from_snapshot(cls, snapshot: Mapping[str, Any]) -> PolicyTerms:
        """The terms kept in a snapshot; refuses anything that is not one (ValueError)."""
        try:
            if snapshot["version"] != SNAPSHOT_VERSION:
                raise ValueError(f"unknown version {snapshot['version']!r}")
            tiers = _ordered(
                Tier(_whole(t["days_before_start"]), _whole(t["refund_percent"])) for t in snapshot["tiers"]
            )
            fee, currency, frees_seat = (
                snapshot["cancellation_fee_minor"],
                snapshot["currency"],
                snapshot["frees_seat"],
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"Not a refund policy snapshot: {exc}") from None
        if not known_currency(str(currency)) or _whole(fee) < 0 or not isinstance(frees_seat, bool):
            raise ValueError("Not a refund policy snapshot: bad fee, currency or frees_seat.")
        if any(not 0 <= t.refund_percent <= 100 for t in tiers):
            raise ValueError("Not a refund policy snapshot: a tier outside 0–100 %.")
        return cls(tiers, fee, currency, frees_seat)


def _whole(value: object) -> int:
    if type(value) is not int or value < 0:
        raise ValueError(f"{value!r} is not a whole number")
    return value


def _ordered(tiers: Any) -> tuple[Tier, ...]:
    return tuple(sorted(tiers, key=lambda t: t.days_before_start, reverse=True))


# ---------------------------------------------------------------------------------------------
# Snapshot
# ---------------------------------------------------------------------------------------------


def policy_snapshot(offering: Offering, *, at: datetime | None = None) -> dict[str, Any]:
    """The policy in force for `offering` as JSON-able data, to keep with an order at purchase.

    The offering's own policy, else its unit's default, else "no refunds" (no tiers, no fee,
    the offering's currency, the seat freed). The policy and its tiers are read by one
    statement, so a policy being edited at the same moment is seen wholly before or after.
    """
    taken_at = (at or timezone.now()).astimezone(UTC)
    if offering.refund_policy_id is not None:
        match, source = Q(pk=offering.refund_policy_id), "offering"
    else:
        match, source = Q(unit_id=offering.microcredential.unit_id, is_unit_default=True), "unit_default"
    tiers = (
        RefundTier.objects.filter(policy=OuterRef("pk"))
        .order_by("-days_before_start")
        .values(json=JSONObject(days_before_start="days_before_start", refund_percent="refund_percent"))
    )
    row = (
        RefundPolicy.objects.filter(match, tenant_id=offering.tenant_id)
        .annotate(tier_list=ArraySubquery(tiers))
        .values("pk", "name", "cancellation_fee_minor", "currency", "frees_seat", "tier_list")
        .first()
    )
    base = {"version": SNAPSHOT_VERSION, "offering_id": offering.pk, "taken_at": taken_at.isoformat()}
    if row is None:
        return {
            **base,
            "source": "none",
            "policy_id": None,
            "policy_name": "",
            "tiers": [],
            "cancellation_fee_minor": 0,
            "currency": offering.currency,
            "frees_seat": True,
        }
    return {
        **base,
        "source": source,
        "policy_id": row["pk"],
        "policy_name": row["name"],
        "tiers": [
            {"days_before_start": t["days_before_start"], "refund_percent": t["refund_percent"]}
            for t in row["tier_list"]
        ],
        "cancellation_fee_minor": row["cancellation_fee_minor"],
        "currency": row["currency"],
        "frees_seat": row["frees_seat"],
    }


# ---------------------------------------------------------------------------------------------
# Deadlines and quotes
# ---------------------------------------------------------------------------------------------


def _zone(time_zone: str | ZoneInfo) -> ZoneInfo:
    if isinstance(time_zone, ZoneInfo):
        return time_zone
    try:
        return ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{time_zone!r} is not a known time zone.") from None


def tier_deadline(*, starts_at: datetime, time_zone: str | ZoneInfo, days_before_start: int) -> datetime:
    """When a tier stops applying (UTC): the start's wall-clock time in `time_zone`,
    `days_before_start` calendar days earlier; on a clock-change day the later instant."""
    tz = _zone(time_zone)
    wall = timezone.localtime(starts_at, tz).replace(tzinfo=None) - timedelta(days=days_before_start)
    return max(wall.replace(tzinfo=tz, fold=fold).astimezone(UTC) for fold in (0, 1))


@dataclass(frozen=True)
class RefundQuote:
    """What a learner cancelling at a given moment gets back."""

    amount_minor: int  # what goes back: ceil(paid × percent / 100) − fee_minor, never below 0
    currency: str
    percent: int  # the tier's percentage (0: no refund)
    fee_minor: int  # the cancellation fee actually kept (≤ the refund before the fee)
    tier: str  # the rule that applies, in words ("50% back if you cancel later, but …")
    until: datetime | None  # the first moment this amount no longer applies (UTC); None: never changes
    frees_seat: bool
    words: str  # the whole answer in one or two sentences for the cancellation page


def refund_quote(
    *,
    snapshot: Mapping[str, Any],
    paid_minor: int,
    currency: str,
    starts_at: datetime,
    time_zone: str | ZoneInfo,
    at: datetime,
) -> RefundQuote:
    """What cancelling at `at` gives back under the policy kept in `snapshot`, for `paid_minor`
    paid in `currency`, for an offering starting at `starts_at` in `time_zone`.

    A tier applies strictly before its deadline (see the module docstring); `until` is that
    deadline (the last of a run of tiers with the same percentage), None once nothing is due.
    Refuses (ValueError) a negative or non-integer amount, naive datetimes, an unknown time zone,
    and a fee in another currency than the payment's.
    """
    terms = PolicyTerms.from_snapshot(snapshot)
    if type(paid_minor) is not int or paid_minor < 0:
        raise ValueError(f"paid_minor must be whole minor units, zero or more, not {paid_minor!r}.")
    if timezone.is_naive(starts_at) or timezone.is_naive(at):
        raise ValueError("starts_at and at must be timezone-aware.")
    if terms.cancellation_fee_minor and terms.currency != currency:
        raise ValueError(
            f"The policy's cancellation fee is in {terms.currency}; the payment was in {currency}."
        )
    tz = _zone(time_zone)
    tiers = [t for t in terms.tiers if t.refund_percent > 0]
    deadlines = [
        tier_deadline(starts_at=starts_at, time_zone=tz, days_before_start=t.days_before_start) for t in tiers
    ]
    index = next((i for i, deadline in enumerate(deadlines) if at < deadline), None)
    if index is None:
        percent, share, until = 0, 0, None
        rule = _no_refund_sentence(tiers[-1].days_before_start if tiers else None)
    else:
        percent = tiers[index].refund_percent
        share = -(-paid_minor * percent // 100)
        last = index
        while last + 1 < len(tiers) and tiers[last + 1].refund_percent == percent:
            last += 1
        until = deadlines[last]
        rule = _tier_sentence(tiers[index], tiers[index - 1].days_before_start if index else None)
    fee = min(terms.cancellation_fee_minor, share)
    amount = share - fee
    return RefundQuote(
        amount_minor=amount,
        currency=currency,
        percent=percent,
        fee_minor=fee,
        tier=rule,
        until=until,
        frees_seat=terms.frees_seat,
        words=_quote_words(
            amount=amount, share=share, fee=terms.cancellation_fee_minor, percent=percent, paid=paid_minor,
            currency=currency, until=until, tz=tz, frees_seat=terms.frees_seat, rule=rule,
        ),
    )  # fmt: skip


def refund_percent(
    terms: PolicyTerms, *, starts_at: datetime, time_zone: str | ZoneInfo, at: datetime
) -> int:
    """The percentage a cancellation at `at` gets back (the rule of `refund_quote`)."""
    return _quote_terms(terms, paid_minor=0, starts_at=starts_at, time_zone=time_zone, at=at).percent


def refund_due_minor(
    terms: PolicyTerms, *, paid_minor: int, starts_at: datetime, time_zone: str | ZoneInfo, at: datetime
) -> int:
    """What goes back for a cancellation at `at` (the rule of `refund_quote`)."""
    return _quote_terms(
        terms, paid_minor=paid_minor, starts_at=starts_at, time_zone=time_zone, at=at
    ).amount_minor


def terms_snapshot(terms: PolicyTerms) -> dict[str, Any]:
    """Terms not read from the database, as a snapshot (for previews and tests)."""
    return {
        "version": SNAPSHOT_VERSION,
        "source": "terms",
        "policy_id": None,
        "policy_name": "",
        "offering_id": None,
        "taken_at": timezone.now().astimezone(UTC).isoformat(),
        "tiers": [
            {"days_before_start": t.days_before_start, "refund_percent": t.refund_percent}
            for t in terms.tiers
        ],
        "cancellation_fee_minor": terms.cancellation_fee_minor,
        "currency": terms.currency,
        "frees_seat": terms.frees_seat,
    }


def _quote_terms(
    terms: PolicyTerms, *, paid_minor: int, starts_at: datetime, time_zone: str | ZoneInfo, at: datetime
) -> RefundQuote:
    return refund_quote(
        snapshot=terms_snapshot(terms),
        paid_minor=paid_minor,
        currency=terms.currency,
        starts_at=starts_at,
        time_zone=time_zone,
        at=at,
    )


# ---------------------------------------------------------------------------------------------
# Words
# ---------------------------------------------------------------------------------------------


def when_text(moment: datetime, tz: ZoneInfo) -> str:
    """ "Tue 27 Oct 2026, 09:00 (America/Los_Angeles)"."""
    return f"{date_format(timezone.localtime(moment, tz), 'D j M Y, H:i')} ({tz.key})"


def _percent_phrase(percent: int) -> str:
    if percent == 100:
        return _("A full refund")
    return _("%(percent)d%% back") % {"percent": percent}


def _tier_sentence(tier: Tier, previous_days: int | None) -> str:
    days = tier.days_before_start
    if days == 0:
        when = (
            _("if you cancel any time before the start")
            if previous_days is None
            else _("if you cancel later, but before the start")
        )
    elif previous_days is None:
        when = ngettext(
            "if you cancel more than %(days)d day before the start",
            "if you cancel more than %(days)d days before the start",
            days,
        ) % {"days": days}
    else:
        when = ngettext(
            "if you cancel later, but more than %(days)d day before the start",
            "if you cancel later, but more than %(days)d days before the start",
            days,
        ) % {"days": days}
    return f"{_percent_phrase(tier.refund_percent)} {when}."


def _no_refund_sentence(last_days: int | None) -> str:
    if last_days is None:
        return _("No refund if you cancel.")
    if last_days == 0:
        return _("No refund once the course has started.")
    return ngettext(
        "No refund if you cancel %(days)d day or less before the start.",
        "No refund if you cancel %(days)d days or less before the start.",
        last_days,
    ) % {"days": last_days}


def _dated(sentence: str, text: str) -> str:
    return f"{sentence.removesuffix('.')}, {text}."


def policy_in_words(
    terms: PolicyTerms, *, starts_at: datetime | None = None, time_zone: str | ZoneInfo | None = None
) -> list[str]:
    """The policy as sentences a learner reads before paying, from the tiers themselves. Given
    the offering's start and time zone, each tier also says its deadline."""
    tz = _zone(time_zone) if time_zone is not None else None
    sentences: list[str] = []
    tiers = [t for t in terms.tiers if t.refund_percent > 0]  # validation keeps the zero ones last
    previous_days: int | None = None
    for tier in tiers:
        sentence = _tier_sentence(tier, previous_days)
        if starts_at is not None and tz is not None and tier.days_before_start:
            deadline = tier_deadline(
                starts_at=starts_at, time_zone=tz, days_before_start=tier.days_before_start
            )
            sentence = _dated(sentence, _("that is before %(when)s") % {"when": when_text(deadline, tz)})
        sentences.append(sentence)
        previous_days = tier.days_before_start
    last = _no_refund_sentence(previous_days)
    if starts_at is not None and tz is not None and previous_days:
        deadline = tier_deadline(starts_at=starts_at, time_zone=tz, days_before_start=previous_days)
        last = _dated(last, _("that is from %(when)s") % {"when": when_text(deadline, tz)})
    sentences.append(last)
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


def policy_in_words_for_snapshot(
    snapshot: Mapping[str, Any], *, starts_at: datetime | None = None, time_zone: str | ZoneInfo | None = None
) -> list[str]:
    """The promised policy (kept with the order) in plain words, for the cancellation page."""
    return policy_in_words(PolicyTerms.from_snapshot(snapshot), starts_at=starts_at, time_zone=time_zone)


def _quote_words(
    *,
    amount: int,
    share: int,
    fee: int,
    percent: int,
    paid: int,
    currency: str,
    until: datetime | None,
    tz: ZoneInfo,
    frees_seat: bool,
    rule: str,
) -> str:
    money = {
        "amount": format_money(amount, currency),
        "paid": format_money(paid, currency),
        "fee": format_money(fee, currency),
        "share": format_money(share, currency),
        "percent": percent,
    }
    if share == 0:
        text = _("If you cancel now, you get nothing back.") + " " + rule
    elif amount == 0:
        text = (
            _(
                "If you cancel now, you get nothing back: the %(fee)s cancellation fee takes all of the "
                "%(share)s refund (%(percent)d%% of the %(paid)s you paid)."
            )
            % money
        )
    else:
        if percent == 100:
            text = _("If you cancel now, you get %(amount)s back: all of the %(paid)s you paid") % money
        else:
            text = (
                _("If you cancel now, you get %(amount)s back: %(percent)d%% of the %(paid)s you paid")
                % money
            )
        text += (_(", less the %(fee)s cancellation fee.") % money) if fee else "."
    if until is not None:
        text += " " + _("This applies if you cancel before %(when)s.") % {"when": when_text(until, tz)}
    if frees_seat:
        text += " " + _("Your seat goes to the next person waiting.")
    return text

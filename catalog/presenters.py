"""What a learner reads about an offering, as text: dates in the right time zone, price, seats.

Pages and the API both show these strings, so "3 seats left" is written in one place.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from catalog.models import CreditType, EnrollmentState, Microcredential, Offering
from catalog.refunds import PolicyTerms, policy_in_words
from catalog.selectors import offering_seats, policy_in_force
from core.dates import date_range, date_time, short_date
from core.money import format_price
from tenants.brand import Brand
from tenants.models import Unit

# "3 seats left" turns into a warning at this many.
FEW_SEATS = 5


def credits_text(microcredential: Microcredential) -> str:
    value = microcredential.credit_value
    if not value:
        return ""
    number = _plain_number(value)
    if microcredential.credit_type == CreditType.ECTS:
        return _("%(n)s ECTS credits") % {"n": number}
    if microcredential.credit_type == CreditType.CREDIT_HOURS:
        return _("%(n)s credit hours") % {"n": number}
    return _("%(n)s CEU") % {"n": number}


def _plain_number(value: Decimal) -> str:
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


@dataclass(frozen=True)
class Availability:
    """Where enrollment stands, as one phrase. `kind` picks the badge's look."""

    kind: str
    text: str


def availability(offering: Offering, *, now: datetime, tz: ZoneInfo) -> Availability:
    state = offering.enrollment_state(now)
    if state == EnrollmentState.NOT_YET_OPEN:
        opens = short_date(offering.enrollment_opens_at, tz, now)
        return Availability("upcoming", _("Enrollment opens %(date)s") % {"date": opens})
    if state == EnrollmentState.CLOSED:
        return Availability("closed", _("Enrollment closed"))
    if state == EnrollmentState.WAITLIST:
        return Availability("waitlist", _("Full — join the wait-list"))
    if state == EnrollmentState.FULL:
        return Availability("full", _("Full"))
    left = offering_seats(offering).left
    text = ngettext("%(n)d seat left", "%(n)d seats left", left) % {"n": left}
    return Availability("few" if left <= FEW_SEATS else "open", text)


@dataclass(frozen=True)
class OfferingCard:
    offering: Offering
    title: str
    cohort: str
    unit: Unit
    brand: Brand
    dates: str
    delivery: str
    price: str
    credits: str
    availability: Availability


def offering_card(
    offering: Offering, *, now: datetime, tz: ZoneInfo, brand: Brand | None = None
) -> OfferingCard:
    microcredential = offering.microcredential
    unit = microcredential.unit
    return OfferingCard(
        offering=offering,
        title=microcredential.title,
        cohort=offering.cohort_label,
        unit=unit,
        brand=brand or Brand.of_unit(unit),
        dates=date_range(offering.starts_at, offering.ends_at, tz),
        delivery=offering.get_delivery_mode_display(),
        price=format_price(offering.price_minor, offering.currency),
        credits=credits_text(microcredential),
        availability=availability(offering, now=now, tz=tz),
    )


def offering_cards(
    offerings: list[Offering], *, tz: ZoneInfo, now: datetime | None = None
) -> list[OfferingCard]:
    """Cards in the tenant's time zone; one Brand per unit."""
    now = now or timezone.now()
    brands: dict[int, Brand] = {}
    cards = []
    for offering in offerings:
        unit = offering.microcredential.unit
        if unit.pk not in brands:
            brands[unit.pk] = Brand.of_unit(unit)
        cards.append(offering_card(offering, now=now, tz=tz, brand=brands[unit.pk]))
    return cards


@dataclass(frozen=True)
class OfferingPage:
    """Everything the offering page says, in the offering's own time zone."""

    card: OfferingCard
    starts: str
    ends: str
    time_zone: str
    enrollment_opens: str
    enrollment_closes: str
    refund_policy: list[str] = field(default_factory=list)


def offering_page(offering: Offering, *, now: datetime | None = None) -> OfferingPage:
    now = now or timezone.now()
    tz = offering.tz
    policy = policy_in_force(offering)
    if offering.is_free:
        words = [_("This course is free: cancel any time, and your seat goes to the next person waiting.")]
    elif policy is None:
        words = [_("Ask the unit about refunds before you enroll.")]
    else:
        words = policy_in_words(PolicyTerms.of(policy), starts_at=offering.starts_at, time_zone=tz)
    return OfferingPage(
        card=offering_card(offering, now=now, tz=tz),
        starts=date_time(offering.starts_at, tz),
        ends=date_time(offering.ends_at, tz),
        time_zone=offering.time_zone,
        enrollment_opens=date_time(offering.enrollment_opens_at, tz),
        enrollment_closes=date_time(offering.enrollment_closes_at, tz),
        refund_policy=words,
    )

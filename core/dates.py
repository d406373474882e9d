"""Moments for people: in a given time zone (an offering's, the tenant's), in the active language.

Templates use the `when` filter (catalog's template library) for "2 Dec 2026, 07:37 CET" in the
tenant's zone, which tenants.middleware activates per request.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from django.utils import timezone
from django.utils.dateformat import format as date_format


def local(moment: datetime, tz: ZoneInfo) -> datetime:
    return timezone.localtime(moment, tz)


def short_date(moment: datetime, tz: ZoneInfo, now: datetime) -> str:
    """ "12 Jan" this year, "12 Jan 2027" otherwise."""
    day = local(moment, tz)
    return date_format(day, "j M" if day.year == local(now, tz).year else "j M Y")


def date_range(start: datetime, end: datetime, tz: ZoneInfo) -> str:
    """ "12 Jan – 23 Feb 2026"; the year once when both dates share it."""
    first, last = local(start, tz), local(end, tz)
    if first.date() == last.date():
        return date_format(first, "j M Y")
    if first.year == last.year:
        return f"{date_format(first, 'j M')} – {date_format(last, 'j M Y')}"
    return f"{date_format(first, 'j M Y')} – {date_format(last, 'j M Y')}"


def date_time(moment: datetime, tz: ZoneInfo) -> str:
    """ "Tue 12 Jan 2026, 18:00"."""
    return date_format(local(moment, tz), "D j M Y, H:i")


def when(value: datetime | None) -> str:
    """The one date-and-time format for people: "2 Dec 2026, 07:37 CET", in the current zone,
    labelled with that zone."""
    if value is None:
        return ""
    moment = timezone.localtime(value) if timezone.is_aware(value) else value
    return date_format(moment, "j M Y, H:i T")

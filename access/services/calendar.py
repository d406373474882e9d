"""'Add to calendar': an iCalendar file (RFC 5545) with the offering's dates, for the learner."""

from __future__ import annotations

from datetime import UTC, datetime

from django.utils.translation import gettext as _
from icalendar import Calendar, Event

from enrollment.models import Enrollment


def enrollment_calendar(*, enrollment: Enrollment, offering_url: str, host: str, now: datetime) -> bytes:
    """One event from the offering's start to its end: title, cohort, schedule, where (a place,
    or the course's page for an online offering), and a UID stable for this enrollment, so a
    calendar that imports it twice updates the one event."""
    offering = enrollment.offering
    title = offering.microcredential.title
    calendar = Calendar()
    calendar.add("prodid", "-//Microcred//My learning//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = Event()
    event.add("uid", f"enrollment-{enrollment.pk}@{host}")
    event.add("dtstamp", now.astimezone(UTC))
    event.add("dtstart", offering.starts_at.astimezone(UTC))
    event.add("dtend", offering.ends_at.astimezone(UTC))
    event.add("summary", f"{title} ({offering.cohort_label})" if offering.cohort_label else title)
    lines = [offering.microcredential.unit.name]
    if offering.schedule:
        lines.append(offering.schedule)
    lines.append(_("Details: %(url)s") % {"url": offering_url})
    event.add("description", "\n".join(lines))
    event.add("location", offering.location or offering_url)
    event.add("url", offering_url)
    calendar.add_component(event)
    return bytes(calendar.to_ical())

"""What a learner reads about an enrollment: its state and what to do next, in plain words.

Pages, e-mails and the API all use these, so "Pay before 14:32" is written in one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from catalog.models import CreditType
from core.dates import date_time, local
from enrollment.models import CompletionRecord, Enrollment, EnrollmentStatus

S = EnrollmentStatus


@dataclass(frozen=True)
class NextStep:
    """`code`: pay, accept_offer, wait, attend, none (for programs); `text` for people."""

    code: str
    text: str
    due_at: datetime | None = None


def _when(moment: datetime, enrollment: Enrollment) -> str:
    offering = enrollment.offering
    return _("%(when)s (%(tz)s)") % {"when": date_time(moment, offering.tz), "tz": offering.time_zone}


def starts_text(enrollment: Enrollment, now: datetime) -> str:
    """ "Your course starts in 3 days", "starts tomorrow", "has started", "has ended"."""
    offering = enrollment.offering
    if now >= offering.ends_at:
        return _("Your course has ended.")
    if now >= offering.starts_at:
        return _("Your course has started.")
    days = (local(offering.starts_at, offering.tz).date() - local(now, offering.tz).date()).days
    if days == 0:
        return _("Your course starts today.")
    if days == 1:
        return _("Your course starts tomorrow.")
    return ngettext("Your course starts in %(n)d day.", "Your course starts in %(n)d days.", days) % {
        "n": days
    }


def next_step(
    enrollment: Enrollment, *, position: int | None = None, now: datetime | None = None
) -> NextStep:
    now = now or timezone.now()
    status = enrollment.status
    if status == S.HELD and enrollment.hold_expires_at is not None:
        return NextStep(
            "pay",
            _("Pay before %(when)s to keep your seat.")
            % {"when": _when(enrollment.hold_expires_at, enrollment)},
            enrollment.hold_expires_at,
        )
    if status == S.OFFERED and enrollment.offer_expires_at is not None:
        return NextStep(
            "accept_offer",
            _("A seat is yours if you want it: accept your offer before %(when)s.")
            % {"when": _when(enrollment.offer_expires_at, enrollment)},
            enrollment.offer_expires_at,
        )
    if status == S.WAITLISTED:
        text = _("You are on the wait-list. We will e-mail you when a seat frees.")
        if position is not None:
            text = _number_on_waitlist() % {"n": position}
        return NextStep("wait", text)
    if status == S.CONFIRMED:
        return NextStep("attend", starts_text(enrollment, now), enrollment.offering.starts_at)
    if status == S.COMPLETED:
        return NextStep("none", _("You completed this course."))
    if status == S.EXPIRED:
        return NextStep("none", _("This seat or offer expired."))
    # The badge beside it already says "Cancelled": say what it means instead of repeating it.
    return NextStep("none", _("No seat is kept for you in this course any more."))


def _number_on_waitlist() -> str:
    return _("You are number %(n)d on the wait-list. We will e-mail you when a seat frees.")


def status_label(enrollment: Enrollment) -> str:
    return str(S(enrollment.status).label)


def credits_text(record: CompletionRecord) -> str:
    """ "3.00 Continuing education units (CEU)", as the record snapshotted them; "" for none."""
    if not record.is_completed or not record.credit_value:
        return ""
    return f"{record.credit_value} {CreditType(record.credit_type).label}"


def completion_text(record: CompletionRecord | None) -> str:
    """ "Completed on 2026-11-30 · Result: A · 3.00 …", "Not completed (2026-11-30) · Result: Fail"."""
    if record is None:
        return ""
    day = record.completed_on.isoformat()
    parts = [
        _("Completed on %(date)s") % {"date": day}
        if record.is_completed
        else _("Not completed (%(date)s)") % {"date": day}
    ]
    if record.result:
        parts.append(_("Result: %(result)s") % {"result": record.result})
    credits = credits_text(record)
    if credits:
        parts.append(credits)
    return " · ".join(parts)

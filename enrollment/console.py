"""The staff console's enrollments: each offering's roster (by state, the wait-list in order,
counts against capacity, search, CSV), and the unit admin's actions on it: enroll by e-mail,
cancel, move, promote, change capacity and the offer window (completions: console_completion).
Every change is in the history shown under each learner.

Tenant admins reach every unit's offerings, unit admins their own; anyone else gets a 404.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from catalog import services as catalog_services
from catalog.models import Offering
from catalog.presenters import offering_page
from core.dates import date_time
from core.errors import MicrocredError, NotFound
from core.forms import form_errors_from
from core.spreadsheet import csv_response
from enrollment import extensions, selectors, services
from enrollment.forms import (
    CapacityForm,
    EnrollByEmailForm,
    MoveForm,
    OfferWindowForm,
    ReasonForm,
)
from enrollment.models import (
    DEFAULT_OFFER_WINDOW_HOURS,
    CompletionOutcome,
    CompletionRecord,
    Enrollment,
    EnrollmentEvent,
    EnrollmentStatus,
    WaitlistSettings,
)
from enrollment.presenters import completion_text, status_label
from enrollment.services.completion import today_for
from tenants.http import StaffRequest
from tenants.selectors import StaffAccess
from tenants.views import staff_page

S = EnrollmentStatus
SECTIONS = (
    (S.CONFIRMED, _lazy("Confirmed")),
    (S.HELD, _lazy("Held (awaiting payment)")),
    (S.OFFERED, _lazy("Offered a freed seat")),
    (S.WAITLISTED, _lazy("Wait-list, in order")),
    (S.COMPLETED, _lazy("Completed")),
    (S.CANCELLED, _lazy("Cancelled")),
    (S.EXPIRED, _lazy("Expired")),
)


# Staff who run at least one unit; other staff get a 404.
roster_page = staff_page(manages_units=True)


@roster_page
def offerings(request: StaffRequest, access: StaffAccess) -> HttpResponse:
    rows = selectors.offerings_with_counts(tenant=request.tenant, access=access)
    return render(
        request,
        "enrollment/console/offerings.html",
        {"access": access, "section": "enrollments", "offerings": [(o, offering_page(o).card) for o in rows]},
    )


@dataclass(frozen=True)
class Event:
    at: str
    action: str
    change: str
    actor: str
    reason: str


@dataclass(frozen=True)
class Row:
    enrollment: Enrollment
    status: str
    position: int | None
    joined: str
    expires: str
    events: list[Event]
    can_cancel: bool
    can_move: bool
    can_promote: bool
    completion: CompletionRecord | None
    completion_text: str
    can_complete: bool
    notes: tuple[extensions.RosterNote, ...] = ()  # from the apps above (access: the LMS)


def _at(moment: datetime | None, offering: Offering) -> str:
    return date_time(moment, offering.tz) if moment else ""


def _event(event: EnrollmentEvent, offering: Offering) -> Event:
    def label(status: str) -> str:
        return str(S(status).label) if status else "—"

    return Event(
        at=_at(event.at, offering),
        action=event.action.replace("_", " "),
        change=f"{label(event.from_status)} → {label(event.to_status)}",
        actor=event.actor.email if event.actor else _("the system"),
        reason=event.reason,
    )


def _row(enrollment: Enrollment, offering: Offering, notes: tuple[extensions.RosterNote, ...] = ()) -> Row:
    expiry = enrollment.hold_expires_at or enrollment.offer_expires_at
    active = enrollment.status in (S.HELD, S.CONFIRMED, S.WAITLISTED, S.OFFERED)
    return Row(
        enrollment=enrollment,
        status=status_label(enrollment),
        position=getattr(enrollment, "position", None),
        joined=_at(enrollment.created_at, offering),
        expires=_at(expiry, offering),
        events=[_event(e, offering) for e in enrollment.events.all()],
        can_cancel=active,
        can_move=enrollment.status in (S.HELD, S.CONFIRMED, S.WAITLISTED),
        can_promote=enrollment.status == S.WAITLISTED,
        completion=(record := selectors.current_completion(enrollment)),
        completion_text=completion_text(record),
        can_complete=enrollment.status in (S.CONFIRMED, S.COMPLETED),
        notes=notes,
    )


def _roster_context(
    request: StaffRequest, access: StaffAccess, pk: int, **forms_given: forms.Form
) -> dict[str, Any]:
    query = request.GET.get("q", "")
    found = selectors.roster(tenant=request.tenant, access=access, offering_id=pk, query=query)
    offering = found.offering
    targets = selectors.move_targets(tenant=request.tenant, access=access, offering=offering)
    window = WaitlistSettings.objects.filter(offering=offering).values_list("offer_window_hours", flat=True)
    extra = extensions.roster_extras_for(
        tenant=request.tenant,
        offering=offering,
        enrollment_ids=[e.pk for rows in found.groups.values() for e in rows],
    )
    sections = [
        (status, title, [_row(e, offering, extra.notes.get(e.pk, ())) for e in found.groups.get(status, [])])
        for status, title in SECTIONS
    ]
    return {
        "access": access,
        "section": "enrollments",
        "offering": offering,
        "microcredential": offering.microcredential,
        "page": offering_page(offering),
        "roster": found,
        "sections": sections,
        "roster_actions": extra.actions,
        "counts": {status: found.count(status) for status in S.values},
        "query": found.query,
        "move_targets": list(targets),
        "enroll_form": forms_given.get("enroll_form") or EnrollByEmailForm(),
        "capacity_form": forms_given.get("capacity_form")
        or CapacityForm(initial={"capacity": offering.capacity}),
        "today": today_for(offering).isoformat(),
        "starts_on": timezone.localtime(offering.starts_at, offering.tz).date().isoformat(),
        "outcomes": CompletionOutcome.choices,
        "window_form": forms_given.get("window_form")
        or OfferWindowForm(initial={"offer_window_hours": next(iter(window), DEFAULT_OFFER_WINDOW_HOURS)}),
    }


@roster_page
def roster(request: StaffRequest, access: StaffAccess, pk: int) -> HttpResponse:
    return render(request, "enrollment/console/roster.html", _roster_context(request, access, pk))


def roster_redirect(pk: int, anchor: str = "") -> HttpResponse:
    return redirect(reverse("console-roster", args=[pk]) + (f"#{anchor}" if anchor else ""))


@require_POST
@roster_page
def enroll_by_email(request: StaffRequest, access: StaffAccess, pk: int) -> HttpResponse:
    form = EnrollByEmailForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            result = services.staff_enroll_by_email(
                tenant=request.tenant,
                access=access,
                actor=request.user,
                offering_id=pk,
                email=data["email"],
                full_name=data["full_name"],
                reason=data["reason"],
            )
        except NotFound:
            raise
        except MicrocredError as exc:
            form_errors_from(form, exc)
        else:
            enrollment = result.enrollment
            if result.waitlist_position is not None:
                text = _("%(email)s is on the wait-list, number %(n)d.") % {
                    "email": enrollment.learner.email,
                    "n": result.waitlist_position,
                }
            else:
                text = _("%(email)s is enrolled (%(status)s).") % {
                    "email": enrollment.learner.email,
                    "status": status_label(enrollment).lower(),
                }
            messages.success(request, text)
            return roster_redirect(pk, f"enrollment-{enrollment.pk}")
    context = _roster_context(request, access, pk, enroll_form=form)
    return render(request, "enrollment/console/roster.html", context, status=400)


@require_POST
@roster_page
def capacity(request: StaffRequest, access: StaffAccess, pk: int) -> HttpResponse:
    """Capacity goes through the catalog (under the offering's lock); raising it offers the new
    seats to the wait-list at once (enrollment.receivers)."""
    form = CapacityForm(request.POST)
    if form.is_valid():
        offers = Enrollment.objects.filter(tenant=request.tenant, offering_id=pk, status=S.OFFERED)
        try:
            before = offers.count()
            catalog_services.offering_update(
                tenant=request.tenant,
                access=access,
                actor=request.user,
                offering_id=pk,
                fields={"capacity": form.cleaned_data["capacity"]},
            )
        except NotFound:
            raise
        except MicrocredError as exc:
            form_errors_from(form, exc)
        else:
            offered = offers.count() - before
            text = _("Capacity is now %(n)d.") % {"n": form.cleaned_data["capacity"]}
            if offered > 0:
                text += " " + ngettext(
                    "%(n)d learner on the wait-list now holds an offer.",
                    "%(n)d learners on the wait-list now hold an offer.",
                    offered,
                ) % {"n": offered}
            messages.success(request, text)
            return roster_redirect(pk)
    context = _roster_context(request, access, pk, capacity_form=form)
    return render(request, "enrollment/console/roster.html", context, status=400)


@require_POST
@roster_page
def offer_window(request: StaffRequest, access: StaffAccess, pk: int) -> HttpResponse:
    form = OfferWindowForm(request.POST)
    if form.is_valid():
        try:
            hours = services.offer_window_set(
                tenant=request.tenant,
                access=access,
                actor=request.user,
                offering_id=pk,
                hours=form.cleaned_data["offer_window_hours"],
            )
        except NotFound:
            raise
        except MicrocredError as exc:
            form_errors_from(form, exc)
        else:
            messages.success(
                request,
                ngettext(
                    "Offers now reserve a freed seat for %(n)d hour.",
                    "Offers now reserve a freed seat for %(n)d hours.",
                    hours,
                )
                % {"n": hours},
            )
            return roster_redirect(pk)
    context = _roster_context(request, access, pk, window_form=form)
    return render(request, "enrollment/console/roster.html", context, status=400)


@require_POST
@roster_page
def enrollment_action(request: StaffRequest, access: StaffAccess, pk: int, action: str) -> HttpResponse:
    """cancel, move or promote one enrollment, with a reason."""
    enrollment = Enrollment.objects.filter(tenant=request.tenant, pk=pk).first()
    if enrollment is None:
        raise Http404
    offering = selectors.offering_for_roster(
        tenant=request.tenant, access=access, offering_id=enrollment.offering_id
    )
    common = {"tenant": request.tenant, "access": access, "actor": request.user, "enrollment_id": pk}
    try:
        if action == "move":
            move = MoveForm(
                request.POST,
                targets=selectors.move_targets(tenant=request.tenant, access=access, offering=offering),
            )
            if not move.is_valid():
                raise form_refusal(move)
            moved = services.enrollment_move(
                tenant=request.tenant,
                access=access,
                actor=request.user,
                enrollment_id=pk,
                to_offering_id=move.cleaned_data["offering"].pk,
                reason=move.cleaned_data["reason"],
            )
            messages.success(request, _("%(email)s moved.") % {"email": enrollment.learner.email})
            return roster_redirect(moved.offering_id, f"enrollment-{moved.pk}")
        reason = ReasonForm(request.POST)
        if not reason.is_valid():
            raise form_refusal(reason)
        if action == "cancel":
            services.staff_cancel(**common, reason=reason.cleaned_data["reason"])  # type: ignore[arg-type]
            messages.success(
                request, _("Enrollment of %(email)s cancelled.") % {"email": enrollment.learner.email}
            )
        elif action == "promote":
            promoted = services.waitlist_entry_promote(**common, reason=reason.cleaned_data["reason"])  # type: ignore[arg-type]
            if promoted.status == S.OFFERED:
                messages.success(
                    request, _("%(email)s is offered the free seat.") % {"email": enrollment.learner.email}
                )
            else:
                messages.success(
                    request,
                    _("%(email)s is now first on the wait-list: the next free seat is theirs.")
                    % {"email": enrollment.learner.email},
                )
        else:
            raise Http404
    except NotFound:
        raise
    except MicrocredError as exc:
        messages.error(request, exc.message)
    return roster_redirect(enrollment.offering_id, f"enrollment-{pk}")


def form_refusal(form: forms.Form) -> MicrocredError:
    problems = [str(e) for errors in form.errors.values() for e in errors]
    return MicrocredError(" ".join(problems) or _("Some fields are not valid."))


@roster_page
def roster_csv(request: StaffRequest, access: StaffAccess, pk: int) -> HttpResponseBase:
    """The roster as a spreadsheet opens it (core.spreadsheet: a BOM, no cell run as a
    formula), ISO dates in the offering's time zone (named in the header)."""
    found = selectors.roster(
        tenant=request.tenant, access=access, offering_id=pk, query=request.GET.get("q", "")
    )
    offering = found.offering
    tz = offering.tz
    zone = offering.time_zone
    header = [
        "enrollment_id",
        "email",
        "name",
        "status",
        "waitlist_position",
        f"enrolled_at ({zone})",
        f"hold_expires_at ({zone})",
        f"offer_expires_at ({zone})",
        f"last_change_at ({zone})",
        "last_change",
        "last_reason",
        "completion",
        "completion_result",
        "completion_date",
        "credits",
    ]

    def iso(moment: datetime | None) -> str:
        return timezone.localtime(moment, tz).strftime("%Y-%m-%d %H:%M") if moment else ""

    def rows() -> Iterator[list[Any]]:
        for e in found.rows:
            events = list(e.events.all())
            last = events[-1] if events else None
            done = selectors.current_completion(e)
            yield [
                e.pk,
                e.learner.email,
                e.learner.full_name,
                e.status,
                getattr(e, "position", None) or "",
                iso(e.created_at),
                iso(e.hold_expires_at),
                iso(e.offer_expires_at),
                iso(last.at if last else None),
                last.action if last else "",
                last.reason if last else "",
                done.outcome if done else "",
                done.result if done else "",
                done.completed_on.isoformat() if done else "",
                f"{done.credit_value} {done.credit_type}" if done and done.is_completed else "",
            ]

    stamp = timezone.localtime(timezone.now(), tz).strftime("%Y-%m-%d")
    return csv_response(f"roster-{offering.pk}-{stamp}.csv", header, rows())

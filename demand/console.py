"""Staff console → Demand: per microcredential, who asked to be told, how many wait on its runs'
wait-lists, how fast its runs filled; and what learners searched for and did not find. Unit
admins see their units' microcredentials, tenant admins all; each table downloads as CSV."""

from __future__ import annotations

from datetime import timedelta

from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import ngettext

from core.spreadsheet import csv_response
from demand import selectors
from tenants.http import StaffRequest
from tenants.selectors import StaffAccess
from tenants.views import staff_page

demand_page = staff_page(manages_units=True)
FASTEST = 20


def fill_time_text(value: timedelta | None) -> str:
    """ "2 days 3 hours", "5 hours", "40 minutes"; a dash when it never filled."""
    if value is None:
        return "—"
    minutes = max(int(value.total_seconds() // 60), 0)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = []
    if days:
        parts.append(ngettext("%(n)d day", "%(n)d days", days) % {"n": days})
    if hours:
        parts.append(ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours})
    if not days and (minutes or not hours):
        parts.append(ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes})
    return " ".join(parts)


def _hours(value: timedelta | None) -> str:
    return "" if value is None else f"{value.total_seconds() / 3600:.1f}"


@demand_page
def demand_home(request: StaffRequest, access: StaffAccess) -> HttpResponse:
    tenant = request.tenant
    microcredentials = [
        (r, fill_time_text(r.fastest_fill))
        for r in selectors.demand_rows(tenant=tenant, access=access, limit=200)
    ]
    fastest = [
        (r.offering, fill_time_text(r.fill_time))
        for r in selectors.filled_runs(tenant=tenant, access=access, limit=FASTEST)
    ]
    context = {
        "access": access,
        "section": "demand",
        "microcredentials": microcredentials,
        "fastest": fastest,
        "searches": selectors.search_misses(tenant=tenant)[:50],
        "search_days": selectors.SEARCH_DAYS,
    }
    return render(request, "demand/console/demand.html", context)


def _stamp() -> str:
    return timezone.localdate().isoformat()


@demand_page
def microcredentials_csv(request: StaffRequest, access: StaffAccess) -> StreamingHttpResponse:
    rows = selectors.demand_rows(tenant=request.tenant, access=access)
    return csv_response(
        f"demand-microcredentials-{_stamp()}.csv",
        [
            "microcredential",
            "unit",
            "interest_waiting",
            "interest_notified",
            "waitlist_depth",
            "fastest_fill_hours",
        ],
        (
            [
                r.microcredential.title,
                r.microcredential.unit.name,
                r.waiting,
                r.notified,
                r.waitlist_depth,
                _hours(r.fastest_fill),
            ]
            for r in rows
        ),
    )


@demand_page
def offerings_csv(request: StaffRequest, access: StaffAccess) -> StreamingHttpResponse:
    rows = selectors.filled_runs(tenant=request.tenant, access=access)
    return csv_response(
        f"demand-fastest-filled-{_stamp()}.csv",
        ["offering", "microcredential", "unit", "starts_at", "capacity", "filled_at", "fill_hours"],
        (
            [
                r.offering.pk,
                r.offering.microcredential.title,
                r.offering.microcredential.unit.name,
                r.offering.starts_at,
                r.offering.capacity,
                r.offering.filled_at,
                _hours(r.fill_time),
            ]
            for r in rows
        ),
    )


@demand_page
def searches_csv(request: StaffRequest, access: StaffAccess) -> StreamingHttpResponse:
    rows = selectors.search_misses(tenant=request.tenant)
    return csv_response(
        f"demand-searches-found-nothing-{_stamp()}.csv",
        ["words", "count", "last_seen_at"],
        ([r.words, r.count, r.last_seen_at] for r in rows),
    )

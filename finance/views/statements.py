"""Unit statements for a period, with the chart of net per unit per month (and the CSV)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.http import Http404, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.utils import timezone
from django.utils.safestring import mark_safe

from core.spreadsheet import csv_response
from finance import selectors
from finance.forms import StatementFilterForm
from finance.presenters import PALETTE, major, money, net_chart_svg
from finance.selectors import FinanceScope
from finance.views._common import ctx, finance_page, invalid_filters
from tenants.http import StaffRequest
from tenants.selectors import StaffAccess


def _statement_inputs(
    request: StaffRequest, scope: FinanceScope
) -> tuple[StatementFilterForm, datetime | None, datetime | None, list[int] | None]:
    units = selectors.scope_units(tenant=request.tenant, scope=scope, statements=True)
    form = StatementFilterForm(request.GET or None, units=units)
    data = form.cleaned_data if form.is_valid() else {}
    start, end = selectors.day_bounds(request.tenant, data.get("start"), data.get("end"))
    unit = data.get("unit")
    return form, start, end, [unit.pk] if unit else None


@finance_page
def statements(request: StaffRequest, access: StaffAccess, scope: FinanceScope) -> HttpResponse:
    if not scope.sees_statements:
        raise Http404
    form, start, end, unit_ids = _statement_inputs(request, scope)
    rows = selectors.statements(tenant=request.tenant, scope=scope, start=start, end=end, unit_ids=unit_ids)
    monthly = selectors.monthly_net(
        tenant=request.tenant, scope=scope, start=start, end=end, unit_ids=unit_ids
    )
    currency = rows[0].figures.currency if rows else request.tenant.currency
    chart = _chart(rows, [m for m in monthly if m.currency == currency], currency)
    totals = {
        key: sum(getattr(r.figures, key) for r in rows if r.figures.currency == currency)
        for key in ("gross", "discounts", "waived", "refunds", "fees", "net", "settled")
    }
    context = ctx(
        access,
        scope,
        "statements",
        form=form,
        rows=[
            (
                r,
                {
                    k: money(getattr(r.figures, k), r.figures.currency)
                    for k in ("gross", "discounts", "waived", "refunds", "fees", "net", "settled")
                },
            )
            for r in rows
        ],
        totals={k: money(v, currency) for k, v in totals.items()},
        chart=chart,
        monthly=_monthly_table(rows, monthly, currency),
        query=request.GET.urlencode(),
    )
    return render(request, "finance/statements.html", context)


def _colours(rows: list[selectors.StatementRow]) -> dict[int, str]:
    """Each unit's colour in the chart and its legend: its own, else the palette's."""
    return {r.unit.pk: r.unit.primary_colour or PALETTE[i % len(PALETTE)] for i, r in enumerate(rows)}


def _chart(rows: list[selectors.StatementRow], monthly: list[selectors.MonthNet], currency: str) -> str:
    months = sorted({m.month for m in monthly})
    by = {(m.month, m.unit_id): m.net for m in monthly}
    colours = _colours(rows)
    series = [
        (r.unit.name, colours[r.unit.pk], [by.get((mo, r.unit.pk), 0) for mo in months])
        for r in rows
        if r.figures.currency == currency
    ]
    return mark_safe(net_chart_svg(months=months, series=series, currency=currency))  # noqa: S308 - escaped inside


def _monthly_table(
    rows: list[selectors.StatementRow], monthly: list[selectors.MonthNet], currency: str
) -> dict[str, Any]:
    months = sorted({m.month for m in monthly if m.currency == currency})
    by = {(m.month, m.unit_id): m.net for m in monthly if m.currency == currency}
    colours = _colours(rows)
    return {
        "months": months,
        "units": [
            (r.unit, colours[r.unit.pk], [money(by.get((mo, r.unit.pk), 0), currency) for mo in months])
            for r in rows
            if r.figures.currency == currency
        ],
    }


@finance_page
def statements_csv(request: StaffRequest, access: StaffAccess, scope: FinanceScope) -> HttpResponseBase:
    if not scope.sees_statements:
        raise Http404
    form, start, end, unit_ids = _statement_inputs(request, scope)
    if (refused := invalid_filters(form)) is not None:
        return refused
    rows = selectors.statements(tenant=request.tenant, scope=scope, start=start, end=end, unit_ids=unit_ids)
    period_from = form.cleaned_data.get("start") if form.is_valid() else None
    period_to = form.cleaned_data.get("end") if form.is_valid() else None
    header = [
        "unit",
        "unit_name",
        "gl_code",
        "period_from",
        "period_to",
        "gross",
        "refunds",
        "fees",
        "net",
        "settled",
        "discounts",
        "waived",
        "currency",
    ]
    out: Iterable[list[Any]] = (
        [r.unit.slug, r.unit.name, r.unit.gl_code, period_from, period_to]
        + [
            major(getattr(r.figures, k), r.figures.currency)
            for k in ("gross", "refunds", "fees", "net", "settled", "discounts", "waived")
        ]
        + [r.figures.currency]
        for r in rows
    )
    return csv_response(f"statements-{timezone.now():%Y-%m-%d}.csv", header, out)

"""Finance's console pages: payouts (list, detail by unit), the problems queue, unit statements
with their chart, GL journal exports; each list also as CSV. Thin: parse, call a selector or
service, render. Out of a person's reach is a 404 (finance.selectors decides)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timedelta
from functools import wraps
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.spreadsheet import csv_response
from finance import selectors
from finance.errors import NothingToExport
from finance.forms import (
    JournalExportForm,
    PayoutFilterForm,
    ProblemFilterForm,
    StatementFilterForm,
)
from finance.models import Problem
from finance.presenters import PALETTE, major, money, net_chart_svg
from finance.selectors import FinanceScope
from finance.services.journal import journal_export
from tenants.http import StaffRequest
from tenants.selectors import StaffAccess
from tenants.views import staff_page

FinanceView = Callable[..., HttpResponseBase]


def finance_page(view: FinanceView) -> FinanceView:
    """Staff of this tenant, with their finance scope; the selectors refuse what it does not reach."""

    @staff_page()
    @wraps(view)
    def wrapper(request: StaffRequest, access: StaffAccess, *args: Any, **kwargs: Any) -> HttpResponseBase:
        scope = selectors.finance_scope(tenant=request.tenant, access=access, user_id=request.user.pk)
        if not (scope.sees_payouts or scope.sees_statements):
            raise Http404
        return view(request, access, scope, *args, **kwargs)

    return wrapper


def _ctx(access: StaffAccess, scope: FinanceScope, section: str, **more: Any) -> dict[str, Any]:
    return {"access": access, "scope": scope, "section": "finance", "finance_section": section, **more}


def _params(request: StaffRequest) -> str:
    """The query string without `page`: what a page link keeps (the filters)."""
    kept = request.GET.copy()
    kept.pop("page", None)
    return kept.urlencode()


def _invalid_filters(form: Any) -> HttpResponse | None:
    """For a CSV: filters that do not validate are a 400 naming what is wrong (never every row)."""
    if not form.is_bound or form.is_valid():
        return None
    lines = [_("Some filters are not valid:")]
    for field, errors in form.errors.items():
        lines += [str(error) if field == "__all__" else f"{field}: {error}" for error in errors]
    return HttpResponse("\n".join(lines) + "\n", status=400, content_type="text/plain; charset=utf-8")


# --- Payouts ---------------------------------------------------------------------------------


def _payout_filters(request: StaffRequest) -> tuple[PayoutFilterForm, selectors.PayoutFilters]:
    form = PayoutFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    return form, selectors.PayoutFilters(
        start=data.get("start"), end=data.get("end"), status=data.get("status", ""), tie=data.get("tie", "")
    )


@finance_page
def payouts(request: StaffRequest, access: StaffAccess, scope: FinanceScope) -> HttpResponse:
    form, filters = _payout_filters(request)
    found = selectors.payouts(tenant=request.tenant, scope=scope, filters=filters)
    page = Paginator(found, 50).get_page(request.GET.get("page"))
    context = _ctx(
        access,
        scope,
        "payouts",
        form=form,
        page=page,
        rows=[(p, money(p.amount, p.currency)) for p in page.object_list],
        last_import=selectors.last_import(tenant=request.tenant),
        query=request.GET.urlencode(),
        params=_params(request),
    )
    return render(request, "finance/payouts.html", context)


@finance_page
def payouts_csv(request: StaffRequest, access: StaffAccess, scope: FinanceScope) -> HttpResponseBase:
    form, filters = _payout_filters(request)
    if (refused := _invalid_filters(form)) is not None:
        return refused
    found = selectors.payouts(tenant=request.tenant, scope=scope, filters=filters)
    header = [
        "payout_id",
        "created_utc",
        "arrival_date_utc",
        "status",
        "amount",
        "currency",
        "reconciled",
        "items",
        "problems",
    ]
    rows = (
        [
            p.stripe_id,
            p.created,
            p.arrival_date,
            p.status,
            major(p.amount, p.currency),
            p.currency,
            p.tie,
            p.items_count,
            p.problem_count,
        ]
        for p in found.iterator()
    )
    return csv_response(f"payouts-{timezone.now():%Y-%m-%d}.csv", header, rows)


@require_POST
@finance_page
def import_now(request: StaffRequest, access: StaffAccess, scope: FinanceScope) -> HttpResponse:
    if not scope.tenant_wide:
        raise Http404
    from finance.tasks import finance_import_tenant

    tenant_id = request.tenant.pk
    transaction.on_commit(lambda: finance_import_tenant.delay(tenant_id, "manual"))
    messages.success(request, _("Import started: this page shows its progress."))
    return redirect("finance-payouts")


@finance_page
def payout_detail(
    request: StaffRequest, access: StaffAccess, scope: FinanceScope, stripe_id: str
) -> HttpResponse:
    breakdown = selectors.payout_breakdown(tenant=request.tenant, scope=scope, stripe_id=stripe_id)
    payout = breakdown.payout
    problems = selectors.problems(
        tenant=request.tenant, scope=scope, filters=selectors.ProblemFilters(payout=payout.stripe_id)
    )[:200]
    context = _ctx(
        access,
        scope,
        "payouts",
        payout=payout,
        breakdown=breakdown,
        cur=payout.currency,
        problems=problems,
        what_to_do=selectors.WHAT_TO_DO,
    )
    return render(request, "finance/payout_detail.html", context)


@finance_page
def payout_csv(
    request: StaffRequest, access: StaffAccess, scope: FinanceScope, stripe_id: str
) -> HttpResponseBase:
    breakdown = selectors.payout_breakdown(tenant=request.tenant, scope=scope, stripe_id=stripe_id)
    cur = breakdown.payout.currency
    header = [
        "payout_id",
        "unit",
        "gl_code",
        "balance_transaction",
        "type",
        "source",
        "created_utc",
        "match",
        "stripe_amount",
        "stripe_fee",
        "stripe_net",
        "unit_gross",
        "unit_refunds",
        "unit_fees",
        "unit_settled",
        "unit_net",
        "currency",
    ]

    def rows() -> Iterator[list[Any]]:
        for group in breakdown.groups:
            for i in group.items:
                yield [
                    breakdown.payout.stripe_id,
                    group.unit.slug if group.unit else "",
                    group.unit.gl_code if group.unit else "",
                    i.stripe_id,
                    i.type,
                    i.source_id,
                    i.created,
                    i.match,
                    major(i.stripe_amount, cur),
                    major(i.stripe_fee, cur),
                    major(i.stripe_net, cur),
                    major(i.gross, cur),
                    major(i.refunds, cur),
                    major(i.fees, cur),
                    major(i.settled, cur),
                    major(i.net, cur),
                    cur,
                ]

    return csv_response(f"payout-{stripe_id}.csv", header, rows())


# --- Problems --------------------------------------------------------------------------------


def _problem_filters(
    request: StaffRequest, scope: FinanceScope
) -> tuple[ProblemFilterForm, selectors.ProblemFilters]:
    units = selectors.scope_units(tenant=request.tenant, scope=scope)
    form = ProblemFilterForm(request.GET or None, units=units)
    data = form.cleaned_data if form.is_valid() else {}
    unit = data.get("unit")
    return form, selectors.ProblemFilters(
        kind=data.get("kind", ""),
        unit_id=unit.pk if unit else None,
        start=data.get("start"),
        end=data.get("end"),
        payout=data.get("payout", ""),
    )


@finance_page
def problems(request: StaffRequest, access: StaffAccess, scope: FinanceScope) -> HttpResponse:
    form, filters = _problem_filters(request, scope)
    found = selectors.problems(tenant=request.tenant, scope=scope, filters=filters)
    page = Paginator(found, 50).get_page(request.GET.get("page"))
    rows = [(p, _problem_figures(p)) for p in page.object_list]
    context = _ctx(
        access,
        scope,
        "problems",
        form=form,
        page=page,
        rows=rows,
        what_to_do=selectors.WHAT_TO_DO,
        query=request.GET.urlencode(),
        params=_params(request),
    )
    return render(request, "finance/problems.html", context)


def _problem_figures(p: Problem) -> dict[str, str]:
    return {
        "stripe_amount": money(p.stripe_amount, p.currency),
        "stripe_fee": money(p.stripe_fee, p.currency),
        "ledger_amount": money(p.ledger_amount, p.currency),
        "ledger_fee": money(p.ledger_fee, p.currency),
    }


@finance_page
def problems_csv(request: StaffRequest, access: StaffAccess, scope: FinanceScope) -> HttpResponseBase:
    form, filters = _problem_filters(request, scope)
    if (refused := _invalid_filters(form)) is not None:
        return refused
    found = selectors.problems(tenant=request.tenant, scope=scope, filters=filters)
    header = [
        "problem",
        "source",
        "balance_transaction",
        "payout_id",
        "unit",
        "occurred_utc",
        "stripe_amount",
        "stripe_fee",
        "ledger_amount",
        "ledger_fee",
        "currency",
        "what_to_do",
    ]
    rows = (
        [
            p.kind,
            p.source_ref,
            p.balance_transaction_stripe_id,
            p.payout_stripe_id,
            p.unit.slug if p.unit else "",
            p.occurred_at,
            major(p.stripe_amount, p.currency),
            major(p.stripe_fee, p.currency),
            major(p.ledger_amount, p.currency),
            major(p.ledger_fee, p.currency),
            p.currency,
            selectors.WHAT_TO_DO.get(p.kind, ""),
        ]
        for p in found.iterator()
    )
    return csv_response(f"problems-{timezone.now():%Y-%m-%d}.csv", header, rows)


# --- Statements ------------------------------------------------------------------------------


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
        for key in ("gross", "refunds", "fees", "net", "settled")
    }
    context = _ctx(
        access,
        scope,
        "statements",
        form=form,
        rows=[
            (
                r,
                {
                    k: money(getattr(r.figures, k), r.figures.currency)
                    for k in ("gross", "refunds", "fees", "net", "settled")
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
    if (refused := _invalid_filters(form)) is not None:
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
        "currency",
    ]
    out: Iterable[list[Any]] = (
        [r.unit.slug, r.unit.name, r.unit.gl_code, period_from, period_to]
        + [
            major(getattr(r.figures, k), r.figures.currency)
            for k in ("gross", "refunds", "fees", "net", "settled")
        ]
        + [r.figures.currency]
        for r in rows
    )
    return csv_response(f"statements-{timezone.now():%Y-%m-%d}.csv", header, out)


# --- Journal exports -------------------------------------------------------------------------


@finance_page
def journals(request: StaffRequest, access: StaffAccess, scope: FinanceScope) -> HttpResponse:
    if not scope.tenant_wide:
        raise Http404
    initial = {
        "period_end": timezone.localdate(timezone.now(), ZoneInfo(request.tenant.time_zone)),
        "currency": request.tenant.currency,
    }
    form = JournalExportForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            end = selectors.day_start(request.tenant, form.cleaned_data["period_end"] + timedelta(days=1))
            try:
                made = journal_export(
                    tenant=request.tenant,
                    currency=form.cleaned_data["currency"],
                    period_end=end,
                    created_by=request.user,
                )
            except NothingToExport as exc:
                form.add_error(None, exc.message)
                status = 409
            else:
                messages.success(
                    request,
                    _("Journal %(id)s exported: %(n)s lines, balanced.")
                    % {"id": made.pk, "n": made.line_count},
                )
                return redirect("finance-journals")
        else:
            status = 400
    exports = [
        (e, money(e.debit_total, e.currency))
        for e in selectors.journal_exports(tenant=request.tenant, scope=scope)[:100]
    ]
    return render(
        request,
        "finance/journals.html",
        _ctx(access, scope, "journals", form=form, exports=exports),
        status=status,
    )


@finance_page
def journal_csv(request: StaffRequest, access: StaffAccess, scope: FinanceScope, pk: int) -> HttpResponseBase:
    export = selectors.journal_export(tenant=request.tenant, scope=scope, pk=pk)
    header = [
        "journal_id",
        "entry_id",
        "date_utc",
        "transaction",
        "source_ref",
        "account",
        "unit",
        "gl_code",
        "debit",
        "credit",
        "currency",
        "memo",
    ]
    cur = export.currency
    rows = (
        [
            export.pk,
            line.entry_id,
            line.occurred_at,
            line.transaction_kind,
            line.source_ref,
            line.account,
            line.unit_slug,
            line.gl_code,
            major(line.debit, cur) if line.debit else "",
            major(line.credit, cur) if line.credit else "",
            line.currency,
            line.memo,
        ]
        for line in selectors.journal_lines(tenant=request.tenant, export=export)
    )
    return csv_response(f"journal-{export.pk}-{export.period_end:%Y-%m-%d}.csv", header, rows)

"""The problems queue (and its CSV): what reconciliation found, with what to do about it."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.utils import timezone

from core.spreadsheet import csv_response
from finance import selectors
from finance.forms import ProblemFilterForm
from finance.models import Problem
from finance.presenters import major, money
from finance.selectors import FinanceScope
from finance.views._common import ctx, finance_page, invalid_filters, params
from tenants.http import StaffRequest
from tenants.selectors import StaffAccess


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
    context = ctx(
        access,
        scope,
        "problems",
        form=form,
        page=page,
        rows=rows,
        what_to_do=selectors.WHAT_TO_DO,
        query=request.GET.urlencode(),
        params=params(request),
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
    if (refused := invalid_filters(form)) is not None:
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

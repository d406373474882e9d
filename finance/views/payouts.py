"""The payouts pages: the list (and its CSV), *Import from Stripe now*, one payout by unit with
each line's order, learner and offering (and its CSV)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.jobs import enqueue
from core.spreadsheet import csv_response
from finance import selectors
from finance.forms import PayoutFilterForm
from finance.presenters import major, money
from finance.selectors import FinanceScope
from finance.views._common import ctx, finance_page, invalid_filters, params
from tenants.http import StaffRequest
from tenants.selectors import StaffAccess


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
    context = ctx(
        access,
        scope,
        "payouts",
        form=form,
        page=page,
        rows=[(p, money(p.amount, p.currency)) for p in page.object_list],
        last_import=selectors.last_import(tenant=request.tenant),
        query=request.GET.urlencode(),
        params=params(request),
    )
    return render(request, "finance/payouts.html", context)


@finance_page
def payouts_csv(request: StaffRequest, access: StaffAccess, scope: FinanceScope) -> HttpResponseBase:
    form, filters = _payout_filters(request)
    if (refused := invalid_filters(form)) is not None:
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
    if enqueue("finance.import_tenant", request.tenant.pk, "manual"):
        messages.success(request, _("Import started: this page shows its progress."))
    else:
        messages.error(request, _("The import could not be started just now. Try again in a minute."))
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
    context = ctx(
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
        "what",
        "order",
        "learner_email",
        "offering",
        "order_unit",
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
                    i.origin.what,
                    i.origin.order_ref,
                    i.origin.email,
                    i.origin.offerings,
                    i.origin.units,
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

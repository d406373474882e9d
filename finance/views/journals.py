"""GL journal exports: make one up to a day; earlier exports with their CSVs."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from core.forms import form_errors_from
from core.spreadsheet import csv_response
from finance import selectors
from finance.errors import FinanceBusy, NothingToExport
from finance.forms import JournalExportForm
from finance.presenters import major, money
from finance.selectors import FinanceScope
from finance.services.journal import journal_export
from finance.views._common import ctx, finance_page
from tenants.http import StaffRequest
from tenants.selectors import StaffAccess


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
            except (NothingToExport, FinanceBusy) as exc:
                form_errors_from(form, exc)
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
        ctx(access, scope, "journals", form=form, exports=exports),
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

"""Staff console → Refunds: every refund of the person's units, failed first (retry, resolve by
hand); an offering's paid learners with a refund form each, and cancelling the whole offering
with every paid learner refunded (its progress shown)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from catalog import selectors as catalog_selectors
from core.errors import MicrocredError
from core.money import MoneyInputError, format_money, parse_major
from payments import selectors
from payments.models import Refund, RefundBatch, RefundState
from payments.services import refund_requests, staff_refunds
from tenants import selectors as tenant_selectors
from tenants.http import StaffRequest
from tenants.selectors import StaffAccess
from tenants.views import staff_page


class RefundForm(forms.Form):
    amount = forms.CharField(label=gettext_lazy("Amount to refund"), max_length=30)
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=500)
    cancel_enrollment = forms.BooleanField(label=gettext_lazy("Also cancel the enrollment"), required=False)


class NoteForm(forms.Form):
    note = forms.CharField(label=gettext_lazy("Note"), max_length=2000, required=False)


class CancelOfferingForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Why it is cancelled (the learners are told)"), max_length=500
    )


@staff_page()
def refund_list(request: StaffRequest, access: StaffAccess) -> HttpResponse:
    state = request.GET.get("state", "")
    state = state if state in RefundState.values else ""
    try:
        unit_id = int(request.GET.get("unit", "") or 0) or None
    except ValueError:
        unit_id = None
    query = request.GET.get("q", "")[:200]
    found = selectors.refunds_for_staff(
        tenant=request.tenant, access=access, state=state, unit_id=unit_id, query=query
    )
    rows = [
        {
            "refund": refund,
            "amount": format_money(refund.amount_minor, refund.currency),
            "can_act": refund.state == RefundState.FAILED and access.manages_unit(refund.line.unit),
        }
        for refund in found[:200]
    ]
    return render(
        request,
        "payments/console/refunds.html",
        {
            "access": access,
            "rows": rows,
            "states": RefundState.choices,
            "units": tenant_selectors.units_for_staff(tenant=request.tenant, access=access),
            "state": state,
            "unit_id": unit_id,
            "query": query,
            "failed": found.filter(state=RefundState.FAILED).count(),
        },
    )


@staff_page()
def refund_action(request: StaffRequest, access: StaffAccess, pk: int, action: str) -> HttpResponse:
    if request.method != "POST" or action not in ("retry", "resolve"):
        raise Http404
    refund = Refund.objects.select_related("line__unit").filter(tenant=request.tenant, pk=pk).first()
    if refund is None or not access.manages_unit(refund.line.unit):
        raise Http404
    form = NoteForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        if action == "retry":
            new = refund_requests.refund_retry(
                tenant=request.tenant, refund_id=pk, actor=request.user, note=note
            )
            messages.success(request, _("Retrying: refund %(id)s is on its way.") % {"id": new.pk})
        else:
            refund_requests.refund_resolve(tenant=request.tenant, refund_id=pk, actor=request.user, note=note)
            messages.success(request, _("Refund %(id)s marked resolved.") % {"id": pk})
    except MicrocredError as exc:
        messages.error(request, exc.message)
    return redirect(reverse("console-refunds") + f"#refund-{pk}")


@staff_page()
def offering_refunds(request: StaffRequest, access: StaffAccess, pk: int) -> HttpResponse:
    offering = catalog_selectors.offering_for_staff(tenant=request.tenant, access=access, offering_id=pk)
    forms_by_line: dict[int, RefundForm] = {}
    lines = selectors.offering_lines(tenant=request.tenant, access=access, offering_id=pk)
    if request.method == "POST":
        try:
            line_id = int(request.POST.get("line", ""))
        except ValueError:
            raise Http404 from None
        form = RefundForm(request.POST)
        forms_by_line[line_id] = form
        rows = {r.line.pk: r for r in lines}
        if line_id not in rows:
            raise Http404
        amount = 0
        if form.is_valid():
            try:
                amount = parse_major(form.cleaned_data["amount"], rows[line_id].line.currency)
            except MoneyInputError as exc:
                form.add_error("amount", str(exc))
        if form.is_valid():
            try:
                staff_refunds.staff_refund(
                    tenant=request.tenant,
                    access=access,
                    actor=request.user,
                    line_id=line_id,
                    amount_minor=amount,
                    reason=form.cleaned_data["reason"],
                    cancel_enrollment=form.cleaned_data["cancel_enrollment"],
                )
            except MicrocredError as exc:
                for field, problems in (exc.fields or {"amount": [exc.message]}).items():
                    for problem in problems:
                        form.add_error(
                            "amount" if field == "amount_minor" else field if field in form.fields else None,
                            problem,
                        )
            else:
                messages.success(
                    request,
                    _("Refund of %(amount)s to %(email)s requested.")
                    % {
                        "amount": format_money(amount, rows[line_id].line.currency),
                        "email": rows[line_id].line.order.email,
                    },
                )
                return redirect(reverse("console-offering-refunds", args=[pk]) + f"#line-{line_id}")
        # Refused: nothing was written, so the lines read above are still what is shown.
    status = 400 if any(f.errors for f in forms_by_line.values()) else 200
    return render(
        request,
        "payments/console/offering_refunds.html",
        {
            "access": access,
            "offering": offering,
            "rows": [
                {
                    "row": row,
                    "paid": format_money(row.line.amount_minor, row.line.currency),
                    "refunded": format_money(row.refunded_minor, row.line.currency),
                    "refundable": format_money(row.refundable_minor, row.line.currency),
                    "form": forms_by_line.get(row.line.pk) or RefundForm(prefix=None),
                    "refunds": list(row.line.refunds.all()),  # prefetched, oldest first
                }
                for row in lines
            ],
            "batches": [
                (batch, selectors.batch_progress(batch))
                for batch in RefundBatch.objects.filter(tenant=request.tenant, offering=offering)
            ],
            "cancel_form": CancelOfferingForm(),
        },
        status=status,
    )


@staff_page()
def offering_cancel(request: StaffRequest, access: StaffAccess, pk: int) -> HttpResponse:
    if request.method != "POST":
        raise Http404
    form = CancelOfferingForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why the offering is cancelled: the learners are told."))
        return redirect("console-offering-refunds", pk=pk)
    try:
        batch = staff_refunds.offering_cancel(
            tenant=request.tenant,
            access=access,
            actor=request.user,
            offering_id=pk,
            reason=form.cleaned_data["reason"],
        )
    except MicrocredError as exc:
        messages.error(request, exc.message)
    else:
        progress = selectors.batch_progress(batch)
        messages.success(
            request,
            _("Offering cancelled: refunding %(n)s paid learners in full; this page shows the progress.")
            % {"n": progress.total},
        )
    return redirect(reverse("console-offering-refunds", args=[pk]) + "#batches")

"""Staff console → Promotions: codes and batches of single-use codes (unit admins for their
units, tenant admins for every unit and tenant-wide), each with its uses so far; and a held
seat's fee waived by staff, with its reason."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from core.errors import MicrocredError, NotFound
from core.forms import form_errors_from
from core.spreadsheet import csv_response
from enrollment.models import Enrollment
from payments import selectors
from payments.services import waivers
from promotions import services as promotions
from promotions.forms import BatchForm, CodeForm
from promotions.models import CodeBatch, PromotionCode
from tenants.http import StaffRequest
from tenants.selectors import StaffAccess, units_managed
from tenants.views import staff_page

promotions_page = staff_page(manages_units=True)


@promotions_page
def promotions_home(request: StaffRequest, access: StaffAccess) -> HttpResponse:
    codes = PromotionCode.objects.filter(tenant=request.tenant, batch__isnull=True).select_related(
        "unit", "microcredential"
    )
    batches = CodeBatch.objects.filter(tenant=request.tenant).select_related("unit")
    if access.managed_unit_ids is not None:
        codes = codes.filter(unit_id__in=sorted(access.managed_unit_ids))
        batches = batches.filter(unit_id__in=sorted(access.managed_unit_ids))
    codes_list = list(codes[:200])
    uses = selectors.code_uses(code_ids=[c.pk for c in codes_list])
    batch_list = list(batches[:100])
    batch_uses = selectors.batch_uses(batch_ids=[b.pk for b in batch_list])
    rows = [
        {"code": c, "discount": promotions.discount_in_words(c), "uses": uses.get(c.pk, 0)}
        for c in codes_list
    ]
    batch_rows = [{"batch": b, "used": batch_uses.get(b.pk, 0)} for b in batch_list]
    return render(
        request,
        "payments/console/promotions.html",
        {"access": access, "section": "promotions", "rows": rows, "batches": batch_rows},
    )


def _form_kwargs(request: StaffRequest, access: StaffAccess) -> dict[str, object]:
    return {
        "tenant": request.tenant,
        "units": units_managed(tenant=request.tenant, access=access),
        "tenant_wide": access.is_tenant_admin,
    }


@promotions_page
def code_new(request: StaffRequest, access: StaffAccess) -> HttpResponse:
    form = CodeForm(request.POST or None, **_form_kwargs(request, access))  # type: ignore[arg-type]
    if request.method == "POST" and form.is_valid():
        try:
            made = promotions.code_create(
                tenant=request.tenant,
                access=access,
                actor=request.user,
                code=form.cleaned_data["code"],
                terms=form.terms(),
            )
        except NotFound:
            raise
        except MicrocredError as exc:
            form_errors_from(form, exc, {"amount_off_minor": "amount_off"})
        else:
            messages.success(request, _("Code %(code)s is ready to hand out.") % {"code": made.code})
            return redirect("console-promotions")
    return render(
        request,
        "payments/console/promotion_form.html",
        {"access": access, "section": "promotions", "form": form, "batch": False},
        status=400 if form.errors else 200,
    )


@promotions_page
def batch_new(request: StaffRequest, access: StaffAccess) -> HttpResponse:
    form = BatchForm(request.POST or None, **_form_kwargs(request, access))  # type: ignore[arg-type]
    if request.method == "POST" and form.is_valid():
        try:
            batch = promotions.batch_create(
                tenant=request.tenant,
                access=access,
                actor=request.user,
                name=form.cleaned_data["name"],
                size=form.cleaned_data["size"],
                prefix=form.cleaned_data.get("code_prefix") or "",
                terms=form.terms(),
            )
        except NotFound:
            raise
        except MicrocredError as exc:
            form_errors_from(form, exc, {"amount_off_minor": "amount_off", "prefix": "code_prefix"})
        else:
            messages.success(
                request,
                _("%(n)d single-use codes made in “%(name)s”: download them below.")
                % {"n": batch.size, "name": batch.name},
            )
            return redirect("console-promotions")
    return render(
        request,
        "payments/console/promotion_form.html",
        {"access": access, "section": "promotions", "form": form, "batch": True},
        status=400 if form.errors else 200,
    )


def _batch(request: StaffRequest, access: StaffAccess, pk: int) -> CodeBatch:
    batch = CodeBatch.objects.filter(tenant=request.tenant, pk=pk).select_related("unit").first()
    if batch is None or (batch.unit is None and not access.is_tenant_admin):
        raise Http404
    if batch.unit is not None and not access.manages_unit(batch.unit):
        raise Http404
    return batch


@promotions_page
def batch_csv(request: StaffRequest, access: StaffAccess, pk: int) -> HttpResponseBase:
    batch = _batch(request, access, pk)
    return csv_response(
        f"codes-{batch.pk}.csv", promotions.batch_csv_header(), promotions.batch_csv_rows(batch=batch)
    )


@promotions_page
def code_withdraw(request: StaffRequest, access: StaffAccess, pk: int) -> HttpResponse:
    if request.method != "POST":
        return redirect("console-promotions")
    code = promotions.code_deactivate(tenant=request.tenant, access=access, code_id=pk)
    messages.success(
        request, _("Code %(code)s is withdrawn: it can no longer be used.") % {"code": code.code}
    )
    return redirect("console-promotions")


@promotions_page
def seat_waive(request: StaffRequest, access: StaffAccess, pk: int) -> HttpResponse:
    """POST from the roster's "Waive the fee…" (no reason yet): the form. POST with a reason:
    the seat confirmed with nothing to pay, the learner told by e-mail."""
    enrollment = (
        Enrollment.objects.filter(tenant=request.tenant, pk=pk)
        .select_related("learner", "offering__microcredential__unit")
        .first()
    )
    if enrollment is None or not access.manages_unit(enrollment.offering.microcredential.unit):
        raise Http404
    error = ""
    reason = request.POST.get("reason", "") if request.method == "POST" else ""
    if request.method == "POST" and "reason" in request.POST:
        try:
            order = waivers.staff_waive(
                tenant=request.tenant,
                access=access,
                actor=request.user,
                enrollment_id=enrollment.pk,
                reason=reason[:300],
            )
        except NotFound:
            raise
        except MicrocredError as exc:
            error = exc.message
        else:
            messages.success(
                request,
                _("Fee waived: %(learner)s's seat is confirmed (order %(ref)s), and they were e-mailed.")
                % {"learner": enrollment.learner.email, "ref": order.reference},
            )
            return redirect("console-roster", pk=enrollment.offering_id)
    return render(
        request,
        "payments/console/waive.html",
        {
            "access": access,
            "section": "enrollments",
            "enrollment": enrollment,
            "reason": reason,
            "error": error,
        },
        status=400 if error else 200,
    )

"""The staff console's prior learning: credentials learners uploaded from other institutions,
pending first; each one's checks, and accepting it toward a part (or refusing it, with a reason).
Tenant and unit admins only (a unit admin: what asks for their units' parts, or names none);
anyone else gets a 404."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_http_methods, require_safe

from core.errors import MicrocredError, NotFound
from core.forms import form_errors_from
from credentials import presenters, selectors
from credentials.models import RecognitionStatus
from credentials.services.recognition import MAX_REASON, recognition_decide
from tenants.http import StaffRequest
from tenants.models import Tenant
from tenants.selectors import StaffAccess
from tenants.views import staff_page

recognitions_page = staff_page(manages_units=True)


class AcceptForm(forms.Form):
    part = forms.TypedChoiceField(label=_lazy("Counts toward"), coerce=int)
    override = forms.BooleanField(
        label=_lazy("Accept although not verified"),
        required=False,
        help_text=_lazy("Only for a credential that did not pass every check; say why below."),
    )
    reason = forms.CharField(
        label=_lazy("Why it is accepted although not verified"),
        max_length=MAX_REASON,
        required=False,
    )

    def __init__(self, *args: Any, tenant: Tenant, access: StaffAccess, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        parts = selectors.stack_parts_managed(tenant=tenant, access=access)
        self.fields["part"].choices = [(p.pk, f"{p.title} ({p.unit.name})") for p in parts]  # type: ignore[attr-defined]


class RefuseForm(forms.Form):
    reason = forms.CharField(
        label=_lazy("Reason for refusing (required; the learner is told)"), max_length=MAX_REASON
    )


@require_safe
@recognitions_page
def recognition_list(request: StaffRequest, access: StaffAccess) -> HttpResponse:
    status = request.GET.get("status") or ""
    if status not in RecognitionStatus.values:
        status = ""
    rows = selectors.recognitions_for_staff(tenant=request.tenant, access=access, status=status or None)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "credentials/console/recognitions.html",
        {
            "access": access,
            "section": "recognitions",
            "page": page,
            "rows": [presenters.recognition_row(r) for r in page.object_list],
            "status": status,
            "statuses": RecognitionStatus.choices,
        },
    )


@require_http_methods(["GET", "POST"])
@recognitions_page
def recognition_detail(request: StaffRequest, access: StaffAccess, pk: int) -> HttpResponse:
    recognition = selectors.recognition_for_staff(tenant=request.tenant, access=access, recognition_id=pk)
    decision = request.POST.get("decision") if request.method == "POST" else None
    accept_data = request.POST if decision == "accept" else None
    refuse_data = request.POST if decision == "refuse" else None
    initial = {"part": recognition.part_id} if recognition.part_id else {}
    accept_form = AcceptForm(accept_data, tenant=request.tenant, access=access, initial=initial)
    refuse_form = RefuseForm(refuse_data)
    status = 200
    if request.method == "POST":
        form: forms.Form = accept_form if decision == "accept" else refuse_form
        if decision in ("accept", "refuse") and form.is_valid():
            try:
                recognition = recognition_decide(
                    tenant=request.tenant,
                    access=access,
                    actor=request.user,
                    recognition_id=pk,
                    accept=decision == "accept",
                    part_id=form.cleaned_data.get("part"),
                    reason=form.cleaned_data.get("reason", ""),
                    override=bool(form.cleaned_data.get("override")),
                )
            except NotFound:
                raise
            except MicrocredError as exc:
                recognition = selectors.recognition_for_staff(
                    tenant=request.tenant, access=access, recognition_id=pk
                )
                if recognition.status == RecognitionStatus.PENDING:
                    form_errors_from(form, exc)
                else:  # decided meanwhile: the forms are gone, say it above the page
                    messages.error(request, exc.message)
            else:
                messages.success(
                    request,
                    _("The prior learning of %(email)s is %(status)s; they are told by e-mail.")
                    % {
                        "email": recognition.learner.email,
                        "status": recognition.get_status_display().lower(),
                    },
                )
                return redirect("console-recognition", pk=pk)
        elif decision not in ("accept", "refuse"):
            messages.error(request, _("Choose to accept or to refuse."))
        status = 400
    return render(
        request,
        "credentials/console/recognition.html",
        {
            "access": access,
            "section": "recognitions",
            "row": presenters.recognition_row(recognition),
            "recognition": recognition,
            "accept_form": accept_form,
            "refuse_form": refuse_form,
        },
        status=status,
    )

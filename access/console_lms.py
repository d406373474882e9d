"""Staff console → LMS: each unit's LMS connection (and the institution's, for tenant admins):
kind, address, token (never shown back, only "set"), options, a "Test connection" button with
the LMS's answer or its error in words, and the last errors. Tenant admins and the unit's
admins; anyone else gets a 404."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from access.models import LmsConnection, LmsKind, Provision
from access.services.connections import (
    connection_for_staff,
    connection_save,
    connection_test,
    connections_for_staff,
    unit_for_new_connection,
)
from core.errors import ValidationFailed
from core.forms import form_errors_from
from tenants.http import StaffRequest
from tenants.models import Unit
from tenants.selectors import StaffAccess
from tenants.views import staff_page

lms_page = staff_page(manages_units=True)


class ConnectionForm(forms.Form):
    kind = forms.ChoiceField(label=_lazy("LMS"), choices=LmsKind.choices)
    base_url = forms.CharField(
        label=_lazy("LMS address"),
        max_length=500,
        required=False,
        help_text=_lazy(
            "The LMS's own address, e.g. https://moodle.example.edu or https://example.instructure.com."
        ),
    )
    token = forms.CharField(
        label=_lazy("Token"),
        max_length=500,
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_lazy(
            "Moodle: a web-service token; Canvas: an access token. Leave empty to keep the stored one."
        ),
    )
    student_role_id = forms.CharField(
        label=_lazy("Moodle: student role id"), max_length=10, required=False, help_text=_lazy("Usually 5.")
    )
    auth = forms.CharField(
        label=_lazy("Moodle: authentication plugin for new users"),
        max_length=50,
        required=False,
        help_text=_lazy("oauth2 (the default) signs them in through Microcred."),
    )
    account_id = forms.CharField(
        label=_lazy("Canvas: account id"),
        max_length=100,
        required=False,
        help_text=_lazy("1 for the root account."),
    )
    authentication_provider_id = forms.CharField(
        label=_lazy("Canvas: authentication provider id"),
        max_length=50,
        required=False,
        help_text=_lazy("The OpenID Connect provider new users sign in with."),
    )
    unenrol_task = forms.ChoiceField(
        label=_lazy("Canvas: when access ends"),
        required=False,
        choices=[
            ("conclude", _lazy("Conclude the enrollment (grades stay)")),
            ("delete", _lazy("Delete it")),
        ],
    )
    pass_score = forms.CharField(
        label=_lazy("Canvas: pass score (%)"),
        max_length=10,
        required=False,
        help_text=_lazy("A concluded enrollment counts as completed from this final score; empty: any."),
    )
    grace_days = forms.IntegerField(
        label=_lazy("Days of access after a seat ends"), min_value=0, max_value=365
    )
    max_concurrency = forms.IntegerField(
        label=_lazy("Calls to the LMS at once, at most"), min_value=1, max_value=50
    )

    OPTION_FIELDS = (
        "student_role_id",
        "auth",
        "account_id",
        "authentication_provider_id",
        "unenrol_task",
        "pass_score",
    )


def _initial(connection: LmsConnection | None) -> dict[str, Any]:
    if connection is None:
        return {"kind": LmsKind.MOODLE, "grace_days": 0, "max_concurrency": 4, "unenrol_task": "conclude"}
    return {
        "kind": connection.kind,
        "base_url": connection.base_url,
        "grace_days": connection.grace_days,
        "max_concurrency": connection.max_concurrency,
        **{name: connection.options.get(name, "") for name in ConnectionForm.OPTION_FIELDS},
    }


@require_safe
@lms_page
def connection_list(request: StaffRequest, access: StaffAccess) -> HttpResponse:
    rows = connections_for_staff(tenant=request.tenant, access=access)
    return render(
        request, "access/console/connections.html", {"access": access, "section": "lms", "rows": rows}
    )


def _edit(
    request: StaffRequest, access: StaffAccess, connection: LmsConnection | None, unit: Unit | None
) -> HttpResponse:
    status = 200
    if request.method == "POST":
        form = ConnectionForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                saved = connection_save(
                    tenant=request.tenant,
                    access=access,
                    connection_id=connection.pk if connection else None,
                    unit_id=unit.pk if unit else None,
                    kind=data["kind"],
                    base_url=data["base_url"],
                    token=data["token"],
                    options={name: data.get(name) for name in ConnectionForm.OPTION_FIELDS},
                    grace_days=data["grace_days"],
                    max_concurrency=data["max_concurrency"],
                )
            except ValidationFailed as exc:
                form_errors_from(form, exc)
            else:
                messages.success(request, _("LMS connection saved. Test it to see that the LMS answers."))
                return redirect("console-lms-connection", pk=saved.pk)
        status = 400
    else:
        form = ConnectionForm(initial=_initial(connection))
    failed = (
        Provision.objects.filter(tenant=request.tenant, connection=connection)
        .exclude(last_error="")
        .select_related("enrollment__learner", "offering")
        .order_by("-updated_at")[:10]
        if connection is not None
        else []
    )
    context = {
        "access": access,
        "section": "lms",
        "form": form,
        "connection": connection,
        "unit": unit,
        "token_set": bool(connection and connection.token_encrypted),
        "failed": failed,
    }
    return render(request, "access/console/connection.html", context, status=status)


def _unit_id(raw: str | None) -> int | None:
    return int(raw) if raw and raw.isdigit() else None


@require_http_methods(["GET", "POST"])
@lms_page
def connection_new(request: StaffRequest, access: StaffAccess) -> HttpResponse:
    unit = unit_for_new_connection(
        tenant=request.tenant, access=access, unit_id=_unit_id(request.GET.get("unit"))
    )
    existing = LmsConnection.objects.filter(tenant=request.tenant, unit=unit).first()
    if existing is not None:
        return redirect("console-lms-connection", pk=existing.pk)
    return _edit(request, access, None, unit)


@require_http_methods(["GET", "POST"])
@lms_page
def connection_edit(request: StaffRequest, access: StaffAccess, pk: int) -> HttpResponse:
    connection = connection_for_staff(tenant=request.tenant, access=access, connection_id=pk)
    return _edit(request, access, connection, connection.unit)


@require_POST
@lms_page
def connection_check(request: StaffRequest, access: StaffAccess, pk: int) -> HttpResponse:
    connection = connection_for_staff(tenant=request.tenant, access=access, connection_id=pk)
    result = connection_test(connection)
    if result.ok:
        messages.success(request, _("The LMS answered: %(answer)s") % {"answer": result.message})
    else:
        messages.error(request, _("The test failed: %(error)s") % {"error": result.message})
    return redirect("console-lms-connection", pk=pk)

"""The staff console's credentials: a unit's issued credentials, and suspending, reinstating
or revoking one (with a reason; revoking needs one). Unit admins see their units, tenant
admins every unit; anyone else gets a 404."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from core.errors import MicrocredError, NotFound
from credentials import selectors
from credentials.services.changes import ACTIONS, credential_status_change
from tenants.http import StaffRequest
from tenants.selectors import StaffAccess, units_managed
from tenants.views import staff_page

credentials_page = staff_page(manages_units=True)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_lazy("Reason"), max_length=500, required=False)


@credentials_page
def credential_list(request: StaffRequest, access: StaffAccess) -> HttpResponse:
    units = list(units_managed(tenant=request.tenant, access=access))
    unit_id = next((u.pk for u in units if str(u.pk) == request.GET.get("unit")), None)
    rows = selectors.credentials_for_staff(tenant=request.tenant, access=access, unit_id=unit_id)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "credentials/console/credentials.html",
        {"access": access, "section": "credentials", "page": page, "units": units, "unit_id": unit_id},
    )


@require_POST
@credentials_page
def credential_action(request: StaffRequest, access: StaffAccess, pk: int, action: str) -> HttpResponse:
    if action not in ACTIONS:
        raise NotFound(_("Not found."))
    form = ReasonForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        credential = credential_status_change(
            tenant=request.tenant,
            access=access,
            actor=request.user,
            credential_id=pk,
            action=action,
            reason=reason,
        )
    except NotFound:
        raise
    except MicrocredError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("The credential of %(email)s is now %(status)s.")
            % {"email": credential.learner.email, "status": credential.get_status_display().lower()},
        )
    return redirect(reverse("console-credentials") + f"#credential-{pk}")

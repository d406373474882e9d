"""The roster's course-access actions for unit staff: retry a failed provision, read the
offering's completions from the LMS now. Each answers by going back to the roster."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from access.services import completions, provisioning
from core.errors import MicrocredError, NotFound
from tenants.http import StaffRequest
from tenants.selectors import StaffAccess
from tenants.views import staff_page

roster_page = staff_page(manages_units=True)


@require_POST
@roster_page
def provision_retry(request: StaffRequest, access: StaffAccess, pk: int) -> HttpResponse:
    row = provisioning.provision_visible(tenant=request.tenant, access=access, provision_id=pk)
    try:
        provisioning.provision_retry(tenant=request.tenant, access=access, provision_id=pk)
    except MicrocredError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Trying again to reach the LMS; the state below updates in a minute."))
    return redirect(reverse("console-roster", args=[row.offering_id]) + f"#enrollment-{row.enrollment_id}")


@require_POST
@roster_page
def completions_read(request: StaffRequest, access: StaffAccess, pk: int) -> HttpResponse:
    try:
        asked = completions.completions_read_request(tenant=request.tenant, access=access, offering_id=pk)
    except NotFound:
        raise
    except MicrocredError as exc:
        messages.error(request, exc.message)
        asked = False
    if asked:
        messages.success(
            request, _("Reading completions from the LMS; completed learners appear in a minute.")
        )
    else:
        messages.info(request, _("Nobody on this roster is in an LMS course yet."))
    return redirect("console-roster", pk=pk)

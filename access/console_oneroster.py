"""The console's OneRoster page. Clients (register, secret shown once, new secret, disable,
enable): tenant admins only. The bulk CSV export: staff who run units, of their units (a tenant
admin: the whole institution). Anything out of reach is a 404."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from access.forms import OneRosterClientForm
from access.oneroster import clients
from access.oneroster.records import RosterScope
from access.oneroster.scopes import SCOPE_CHOICES
from access.oneroster_views import BASE_PATH, zip_response
from access.services import relying_parties
from core.errors import MicrocredError, NotFound
from core.forms import form_errors_from
from tenants.http import StaffRequest
from tenants.selectors import StaffAccess
from tenants.views import staff_page

admin_page = staff_page(tenant_admin=True)
units_page = staff_page(manages_units=True)

SESSION_SLOT = "access.oneroster_secret.{pk}"
SCOPE_LABELS = dict(SCOPE_CHOICES)


def _endpoints(request: StaffRequest) -> dict[str, str]:
    return {
        "base_url": request.build_absolute_uri(BASE_PATH),
        "token_url": request.build_absolute_uri("/oidc/token/"),
        "bulk_url": request.build_absolute_uri("/ims/oneroster/csv/v1p2/bulk.zip"),
    }


@units_page
def client_list(request: StaffRequest, access: StaffAccess) -> HttpResponse:
    found = clients.oneroster_clients_for_tenant(tenant=request.tenant) if access.is_tenant_admin else []
    rows = [(rp, [str(SCOPE_LABELS.get(s, s)) for s in rp.claims]) for rp in found]
    return render(
        request,
        "access/console/oneroster.html",
        {
            "access": access,
            "section": "oneroster",
            "rows": rows,
            **_endpoints(request),
        },
    )


@admin_page
def client_new(request: StaffRequest, access: StaffAccess) -> HttpResponse:
    form = OneRosterClientForm(request.POST or None, tenant_id=request.tenant.pk)
    if request.method == "POST" and form.is_valid():
        try:
            registered = clients.oneroster_client_create(
                tenant=request.tenant,
                name=form.cleaned_data["name"],
                unit=form.cleaned_data["unit"],
                scopes=form.cleaned_data["scopes"],
            )
        except MicrocredError as exc:
            form_errors_from(form, exc)
        else:
            return _issued(request, registered)
    return render(
        request,
        "access/console/oneroster_form.html",
        {"access": access, "section": "oneroster", "form": form},
    )


def _issued(request: StaffRequest, registered: relying_parties.Registered) -> HttpResponse:
    """The next page shows the secret once; a reload shows it no more and registers nothing."""
    pk = registered.relying_party.pk
    request.session[SESSION_SLOT.format(pk=pk)] = registered.client_secret
    return redirect("console-oneroster-credentials", pk)


def _client(request: StaffRequest, pk: int) -> int:
    if not clients.oneroster_clients_for_tenant(tenant=request.tenant).filter(pk=pk).exists():
        raise NotFound(_("No such OneRoster client."))
    return pk


@admin_page
def client_credentials(request: StaffRequest, access: StaffAccess, pk: int) -> HttpResponse:
    rp = relying_parties.relying_party_get(tenant=request.tenant, pk=_client(request, pk))
    secret = request.session.pop(SESSION_SLOT.format(pk=rp.pk), None)
    response = render(
        request,
        "access/console/oneroster_secret.html",
        {
            "access": access,
            "section": "oneroster",
            "rp": rp,
            "client_secret": secret if isinstance(secret, str) else "",
            "scopes": " ".join(rp.claims),
            **_endpoints(request),
        },
    )
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@admin_page
def client_action(request: StaffRequest, access: StaffAccess, pk: int, action: str) -> HttpResponse:
    pk = _client(request, pk)
    if action == "secret":
        return _issued(request, relying_parties.relying_party_secret_new(tenant=request.tenant, pk=pk))
    if action == "disable":
        rp = relying_parties.relying_party_disable(tenant=request.tenant, pk=pk)
        messages.success(request, _("%(name)s can no longer read the roster.") % {"name": rp.name})
    elif action == "enable":
        rp = relying_parties.relying_party_enable(tenant=request.tenant, pk=pk)
        messages.success(request, _("%(name)s can read the roster again.") % {"name": rp.name})
    else:
        raise NotFound(_("Not found."))
    return redirect("console-oneroster")


@units_page
def export(request: StaffRequest, access: StaffAccess) -> HttpResponse:
    """The roster of the units the person runs, as the CSV binding's bulk zip."""
    scope = RosterScope(
        tenant=request.tenant,
        unit_ids=access.managed_unit_ids,
        base_url=request.build_absolute_uri(BASE_PATH),
    )
    return zip_response(scope)

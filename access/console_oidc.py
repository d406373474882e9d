"""Console pages of learning access. Relying parties and the signing key: tenant admins only.
Entitlements: staff who run units, for their units' offerings and microcredentials. Anything
out of reach is a 404."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from access.forms import EntitlementForm, RelyingPartyForm
from access.models import ClientKind, RelyingParty
from access.services import entitlements as entitlement_services
from access.services import keys, relying_parties
from access.services.entitlements import zone_of
from catalog.models import Microcredential, Offering
from core.dates import local
from core.errors import MicrocredError, NotFound
from core.forms import form_errors_from
from core.spreadsheet import csv_response
from tenants.http import StaffRequest
from tenants.mail import site_url
from tenants.selectors import StaffAccess
from tenants.views import staff_page

admin_page = staff_page(tenant_admin=True)
units_page = staff_page(manages_units=True)


def _form_data(form: RelyingPartyForm) -> dict[str, object]:
    data = form.cleaned_data
    return {
        "name": data["name"],
        "unit": data["unit"],
        "redirect_uris": data["redirect_uris"],
        "post_logout_redirect_uris": data["post_logout_redirect_uris"],
        "claims": data["claims"],
        "first_party": data["first_party"],
        "pkce_required": data["pkce_required"],
    }


SESSION_SLOT = "access.client_secret.{pk}"


def _issued(request: StaffRequest, registered: relying_parties.Registered) -> HttpResponse:
    """Hand the new secret to the next page, which shows it once (a reload then asks nothing
    again and makes no second client)."""
    pk = registered.relying_party.pk
    request.session[SESSION_SLOT.format(pk=pk)] = registered.client_secret
    return redirect("console-relying-party-credentials", pk)


@admin_page
def relying_party_credentials(request: StaffRequest, access: StaffAccess, pk: int) -> HttpResponse:
    """The client's credentials, its secret in clear this once."""
    rp = relying_parties.relying_party_get(tenant=request.tenant, pk=pk)
    secret = request.session.pop(SESSION_SLOT.format(pk=rp.pk), None)
    response = render(
        request,
        "access/console/secret.html",
        {
            "access": access,
            "section": "relying-parties",
            "rp": rp,
            "client_secret": secret if isinstance(secret, str) else "",
            "issuer": site_url(request.tenant),
        },
    )
    response["Cache-Control"] = "no-store"
    return response


@admin_page
def relying_party_list(request: StaffRequest, access: StaffAccess) -> HttpResponse:
    now = timezone.now()
    return render(
        request,
        "access/console/relying_parties.html",
        {
            "access": access,
            "section": "relying-parties",
            "rows": relying_parties.relying_parties_for_tenant(tenant=request.tenant).filter(
                kind=ClientKind.SIGN_IN
            ),
            "keys": keys.keys_published(tenant=request.tenant, now=now),
            "issuer": site_url(request.tenant),
        },
    )


@admin_page
def relying_party_new(request: StaffRequest, access: StaffAccess) -> HttpResponse:
    form = RelyingPartyForm(request.POST or None, tenant_id=request.tenant.pk)
    if request.method == "POST" and form.is_valid():
        try:
            registered = relying_parties.relying_party_create(tenant=request.tenant, **_form_data(form))  # type: ignore[arg-type]
        except MicrocredError as exc:
            form_errors_from(form, exc)
        else:
            return _issued(request, registered)
    return render(
        request,
        "access/console/relying_party_form.html",
        {"access": access, "section": "relying-parties", "form": form},
    )


@admin_page
def relying_party_edit(request: StaffRequest, access: StaffAccess, pk: int) -> HttpResponse:
    rp = relying_parties.relying_party_get(tenant=request.tenant, pk=pk)
    if rp.kind != ClientKind.SIGN_IN:  # OneRoster clients have their own page
        raise NotFound(_("No such relying party."))
    initial = {
        "name": rp.name,
        "unit": rp.unit,
        "redirect_uris": rp.application.redirect_uris,
        "post_logout_redirect_uris": rp.application.post_logout_redirect_uris,
        "claims": rp.claims,
        "first_party": rp.first_party,
        "pkce_required": rp.pkce_required,
    }
    form = RelyingPartyForm(request.POST or None, initial=initial, tenant_id=request.tenant.pk)
    if request.method == "POST" and form.is_valid():
        try:
            relying_parties.relying_party_update(tenant=request.tenant, pk=rp.pk, **_form_data(form))  # type: ignore[arg-type]
        except MicrocredError as exc:
            form_errors_from(form, exc)
        else:
            messages.success(request, _("%(name)s is saved.") % {"name": form.cleaned_data["name"]})
            return redirect("console-relying-parties")
    return render(
        request,
        "access/console/relying_party_form.html",
        {
            "access": access,
            "section": "relying-parties",
            "form": form,
            "rp": rp,
            "issuer": site_url(request.tenant),
        },
    )


@require_POST
@admin_page
def relying_party_action(request: StaffRequest, access: StaffAccess, pk: int, action: str) -> HttpResponse:
    rp: RelyingParty
    if action == "secret":
        return _issued(request, relying_parties.relying_party_secret_new(tenant=request.tenant, pk=pk))
    if action == "disable":
        rp = relying_parties.relying_party_disable(tenant=request.tenant, pk=pk)
        messages.success(request, _("%(name)s can no longer sign learners in.") % {"name": rp.name})
    elif action == "enable":
        rp = relying_parties.relying_party_enable(tenant=request.tenant, pk=pk)
        messages.success(request, _("%(name)s can sign learners in again.") % {"name": rp.name})
    else:
        raise NotFound(_("Not found."))
    return redirect("console-relying-parties")


@require_POST
@admin_page
def signing_key_rotate(request: StaffRequest, access: StaffAccess) -> HttpResponse:
    try:
        key = keys.signing_key_rotate(tenant=request.tenant)
    except MicrocredError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("New signing key %(kid)s. The old one stays published, so tokens it signed still verify.")
            % {"kid": key.kid[:12]},
        )
    return redirect("console-relying-parties")


def _targets(request: StaffRequest, access: StaffAccess) -> list[tuple[str, str]]:
    unit_ids = access.managed_unit_ids
    microcredentials = Microcredential.objects.filter(tenant=request.tenant).select_related("unit")
    offerings = Offering.objects.filter(tenant=request.tenant).select_related("microcredential__unit")
    if unit_ids is not None:
        microcredentials = microcredentials.filter(unit_id__in=unit_ids)
        offerings = offerings.filter(microcredential__unit_id__in=unit_ids)
    choices = [("", _("Choose…"))]
    choices += [
        (f"microcredential:{m.pk}", _("%(title)s (every offering)") % {"title": m.title})
        for m in microcredentials.order_by("title", "pk")[:500]
    ]
    for o in offerings.order_by("-starts_at", "pk")[:500]:
        start = date_format(local(o.starts_at, zone_of(o)), "j M Y")
        label = o.microcredential.title + (f" – {o.cohort_label}" if o.cohort_label else "")
        choices.append(
            (f"offering:{o.pk}", _("%(title)s, starting %(date)s") % {"title": label, "date": start})
        )
    return choices


@units_page
def entitlement_list(request: StaffRequest, access: StaffAccess) -> HttpResponse:
    form = EntitlementForm(request.POST or None, targets=_targets(request, access))
    if request.method == "POST" and form.is_valid():
        try:
            entitlement = entitlement_services.entitlement_create(
                tenant=request.tenant, unit_ids=access.managed_unit_ids, **form.cleaned_data
            )
        except MicrocredError as exc:
            form_errors_from(form, exc)
        else:
            messages.success(request, _("%(name)s is added.") % {"name": entitlement.name})
            return redirect("console-entitlements")
    rows = entitlement_services.entitlements_for_staff(
        tenant=request.tenant, unit_ids=access.managed_unit_ids
    )
    return render(
        request,
        "access/console/entitlements.html",
        {"access": access, "section": "entitlements", "form": form, "rows": rows},
    )


@require_POST
@units_page
def entitlement_delete(request: StaffRequest, access: StaffAccess, pk: int) -> HttpResponse:
    entitlement = entitlement_services.entitlement_delete(
        tenant=request.tenant, unit_ids=access.managed_unit_ids, entitlement_id=pk
    )
    messages.success(request, _("%(name)s is removed: nobody gets it any more.") % {"name": entitlement.name})
    return redirect("console-entitlements")


@units_page
def entitlement_export(request: StaffRequest, access: StaffAccess) -> StreamingHttpResponse:
    rows = entitlement_services.entitlements_active_all(
        tenant=request.tenant, now=timezone.now(), unit_ids=access.managed_unit_ids
    )
    header = [_("E-mail"), _("Name"), _("Entitlement"), _("Identifier"), _("Offering"), _("From"), _("Until")]
    return csv_response(
        "active-entitlements.csv",
        header,
        (
            [
                seat.learner.email,
                seat.learner.full_name,
                e.name,
                e.identifier,
                seat.offering.microcredential.title,
                local(e.starts_at, e.time_zone).date().isoformat(),
                local(e.until, e.time_zone).date().isoformat(),
            ]
            for seat, e in rows
        ),
    )

"""The staff console for units and staff, and accepting a staff invitation.

The public pages (the catalog home, a unit's page) live in catalog.views.public."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.errors import MicrocredError, NotFound
from core.forms import form_errors_from
from tenants import selectors, services
from tenants.forms import ApiTokenForm, InviteForm, SocialProviderForm, UnitForm
from tenants.http import StaffRequest
from tenants.models import SocialProviderKind
from tenants.overview import overview_panels
from tenants.selectors import StaffAccess

# HttpResponseBase: CSV downloads stream (StreamingHttpResponse) through the same gate.
StaffView = Callable[..., HttpResponseBase]


def staff_page(
    *, tenant_admin: bool = False, manages_units: bool = False
) -> Callable[[StaffView], StaffView]:
    """Signed-in staff of this tenant only; anything out of reach is a 404, never a 403.
    Tenant admins and finance without an authenticator app are sent to set one up first.
    `manages_units`: only staff who run at least one unit (tenant and unit admins).

    The view receives the person's StaffAccess after the request.
    """

    def decorate(view: StaffView) -> StaffView:
        @login_required
        @wraps(view)
        def wrapper(request: StaffRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            access = selectors.staff_access(tenant=request.tenant, user=request.user)
            if not access.is_staff or (tenant_admin and not access.is_tenant_admin):
                raise Http404
            if manages_units and not access.manages_any_unit:
                raise Http404
            if selectors.mfa_setup_required(access=access, user=request.user):
                messages.warning(
                    request,
                    _(
                        "Your role handles money or the whole institution, so it needs two-factor "
                        "authentication. Set up an authenticator app to continue to the staff console."
                    ),
                )
                return redirect("mfa_activate_totp")
            try:
                return view(request, access, *args, **kwargs)
            except NotFound as exc:
                raise Http404(exc.message) from exc

        return wrapper

    return decorate


@staff_page()
def console_home(request: StaffRequest, access: StaffAccess) -> HttpResponse:
    units = selectors.units_for_staff(tenant=request.tenant, access=access)
    panels = overview_panels(tenant=request.tenant, access=access)
    return render(request, "tenants/console/home.html", {"access": access, "units": units, "panels": panels})


@staff_page()
def console_units(request: StaffRequest, access: StaffAccess) -> HttpResponse:
    units = selectors.units_for_staff(tenant=request.tenant, access=access)
    return render(request, "tenants/console/units.html", {"access": access, "units": units})


@staff_page(tenant_admin=True)
def console_unit_new(request: StaffRequest, access: StaffAccess) -> HttpResponse:
    form = UnitForm(request.POST or None, request.FILES or None, tenant=request.tenant)
    if request.method == "POST" and form.is_valid():
        unit = _save_unit(request, access, form, unit=None)
        if unit is not None:
            messages.success(request, _("Unit “%(name)s” created.") % {"name": unit.name})
            return redirect("console-unit", slug=unit.slug)
    return render(request, "tenants/console/unit_form.html", {"access": access, "form": form, "unit": None})


@staff_page()
def console_unit(request: StaffRequest, access: StaffAccess, slug: str) -> HttpResponse:
    unit = selectors.unit_for_staff(tenant=request.tenant, access=access, slug=slug)
    if not access.is_tenant_admin:
        if request.method == "POST":
            raise Http404
        return render(request, "tenants/console/unit_detail.html", {"access": access, "unit": unit})
    form = UnitForm(request.POST or None, request.FILES or None, tenant=request.tenant, instance=unit)
    if request.method == "POST" and form.is_valid():
        saved = _save_unit(request, access, form, unit=unit)
        if saved is not None:
            messages.success(request, _("Unit “%(name)s” saved.") % {"name": saved.name})
            return redirect("console-unit", slug=saved.slug)
    return render(request, "tenants/console/unit_form.html", {"access": access, "form": form, "unit": unit})


def _save_unit(request: StaffRequest, access: StaffAccess, form: UnitForm, unit: Any) -> Any:
    fields = {k: v for k, v in form.cleaned_data.items() if k not in ("logo", "remove_logo")}
    logo = request.FILES.get("logo")
    try:
        if unit is None:
            return services.unit_create(tenant=request.tenant, access=access, fields=fields, logo=logo)
        return services.unit_update(
            tenant=request.tenant,
            access=access,
            unit=unit,
            fields=fields,
            logo=logo,
            remove_logo=bool(form.cleaned_data.get("remove_logo")),
        )
    except MicrocredError as exc:
        form_errors_from(form, exc)
        return None


@staff_page(tenant_admin=True)
def console_staff(request: StaffRequest, access: StaffAccess) -> HttpResponse:
    context = {
        "access": access,
        "memberships": selectors.memberships_for_tenant(tenant=request.tenant),
        "invitations": selectors.pending_invitations(tenant=request.tenant),
    }
    return render(request, "tenants/console/staff.html", context)


@staff_page(tenant_admin=True)
def console_staff_invite(request: StaffRequest, access: StaffAccess) -> HttpResponse:
    form = InviteForm(request.POST or None, tenant=request.tenant)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        invitation = services.staff_invite(
            tenant=request.tenant,
            access=access,
            invited_by=request.user,
            email=data["email"],
            role=data["role"],
            units=data["units"],
            all_units=data["all_units"],
            accept_url_for=lambda token: request.build_absolute_uri(
                reverse("invitation-accept", args=[token])
            ),
        )
        messages.success(request, _("Invitation sent to %(email)s.") % {"email": invitation.email})
        return redirect("console-staff")
    return render(request, "tenants/console/invite.html", {"access": access, "form": form})


@require_POST
@staff_page(tenant_admin=True)
def console_invitation_revoke(request: StaffRequest, access: StaffAccess, pk: int) -> HttpResponse:
    services.invitation_revoke(tenant=request.tenant, access=access, invitation_id=pk)
    messages.success(request, _("Invitation withdrawn."))
    return redirect("console-staff")


@require_POST
@staff_page(tenant_admin=True)
def console_membership_remove(request: StaffRequest, access: StaffAccess, pk: int) -> HttpResponse:
    try:
        services.membership_remove(
            tenant=request.tenant,
            access=access,
            actor=request.user,
            membership_id=pk,
        )
    except NotFound:
        raise
    except MicrocredError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Staff role removed."))
    return redirect("console-staff")


@login_required
def invitation_accept(request: StaffRequest, token: str) -> HttpResponse:
    try:
        invitation = selectors.invitation_for_token(tenant=request.tenant, token=token)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    error = None
    if request.method == "POST":
        try:
            services.invitation_accept(tenant=request.tenant, invitation=invitation, user=request.user)
        except MicrocredError as exc:
            error = exc.message
        else:
            messages.success(request, _("Welcome to the %(tenant)s staff.") % {"tenant": request.tenant.name})
            return redirect("console-home")
    status = 400 if error else 200
    return render(
        request, "tenants/invitation_accept.html", {"invitation": invitation, "error": error}, status=status
    )


NEW_TOKEN_SESSION_KEY = "console_new_api_token"  # noqa: S105 - a session key name


@staff_page()
def console_tokens(request: StaffRequest, access: StaffAccess) -> HttpResponse:
    form = ApiTokenForm(request.POST or None, roles=access.roles)
    if request.method == "POST" and form.is_valid():
        try:
            token, secret = services.api_token_create(
                tenant=request.tenant,
                access=access,
                user=request.user,
                role=form.cleaned_data["role"],
                name=form.cleaned_data["name"],
            )
        except MicrocredError as exc:
            form_errors_from(form, exc)
        else:
            # Shown once, on the next page only (a reload does not create a second token).
            request.session[NEW_TOKEN_SESSION_KEY] = {"id": token.pk, "token": secret}
            return redirect("console-tokens")
    new_token = request.session.pop(NEW_TOKEN_SESSION_KEY, None)
    context = {
        "access": access,
        "form": form,
        "tokens": selectors.api_tokens_for(tenant=request.tenant, user=request.user),
        "new_token": new_token,
    }
    return render(request, "tenants/console/tokens.html", context, status=400 if form.errors else 200)


@require_POST
@staff_page()
def console_token_revoke(request: StaffRequest, access: StaffAccess, pk: int) -> HttpResponse:
    token = services.api_token_revoke(tenant=request.tenant, user=request.user, token_id=pk)
    messages.success(request, _("Token “%(name)s” revoked; it no longer works.") % {"name": token.name})
    return redirect("console-tokens")


def _callback_url(request: StaffRequest, kind: str) -> str:
    if kind == SocialProviderKind.LINKEDIN:
        path = reverse("openid_connect_callback", kwargs={"provider_id": "linkedin"})
    else:
        path = reverse(f"{kind}_callback")
    return request.build_absolute_uri(path)


@staff_page(tenant_admin=True)
def console_sign_in(request: StaffRequest, access: StaffAccess) -> HttpResponse:
    configured = {p.kind: p for p in selectors.social_providers(tenant=request.tenant)}
    rows = [
        (kind, label, configured.get(kind), _callback_url(request, kind))
        for kind, label in SocialProviderKind.choices
    ]
    return render(request, "tenants/console/sign_in.html", {"access": access, "rows": rows})


@staff_page(tenant_admin=True)
def console_sign_in_provider(request: StaffRequest, access: StaffAccess, kind: str) -> HttpResponse:
    if kind not in SocialProviderKind.values:
        raise Http404
    label = SocialProviderKind(kind).label
    stored = selectors.social_providers(tenant=request.tenant).filter(kind=kind).first()
    form = SocialProviderForm(request.POST or None, kind=kind, stored=stored)
    if request.method == "POST" and request.POST.get("action") == "remove":
        services.social_provider_remove(tenant=request.tenant, access=access, kind=kind)
        messages.success(request, _("%(provider)s sign-in removed.") % {"provider": label})
        return redirect("console-sign-in")
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        secret = data.pop("secret", "")
        private_key = data.pop("apple_private_key", "")
        try:
            services.social_provider_save(
                tenant=request.tenant,
                access=access,
                actor=request.user,
                kind=kind,
                fields=data,
                secret=secret,
                apple_private_key=private_key,
            )
        except MicrocredError as exc:
            form_errors_from(form, exc)
        else:
            messages.success(request, _("%(provider)s sign-in saved.") % {"provider": label})
            return redirect("console-sign-in")
    context = {
        "access": access,
        "form": form,
        "kind": kind,
        "label": label,
        "stored": stored,
        "callback_url": _callback_url(request, kind),
    }
    return render(
        request, "tenants/console/sign_in_provider.html", context, status=400 if form.errors else 200
    )

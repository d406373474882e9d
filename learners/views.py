"""Learners' pages: sign in or up with a code, guest checkout's e-mail step, the profile with
its data download and account deletion. Each view parses, calls one service, renders."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from allauth.account import views as allauth_views
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from core.errors import MicrocredError
from core.forms import form_errors_from
from identity import services as identity_services
from identity.errors import AccountDeletionRefused
from learners import selectors
from learners.branding import remember_unit_origin, unit_origin
from learners.errors import CodeIncorrect
from learners.forms import (
    CodeForm,
    CodeRequestForm,
    ContactForm,
    DeleteAccountForm,
    GuestForm,
    ProfileForm,
    RemindersForm,
    SignupForm,
    StaffCodeForm,
)
from learners.services import profile as profile_services
from learners.services import reminders as reminder_services
from learners.services import signin
from learners.services.staff import staff_code_redeem
from tenants.http import StaffRequest, TenantRequest
from tenants.selectors import public_units


def _next_url(request: TenantRequest) -> str | None:
    url = request.POST.get("next") or request.GET.get("next")
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return None


def _with_next(url: str, next_url: str | None, **params: str) -> str:
    query = {k: v for k, v in {**params, "next": next_url or ""}.items() if v}
    return f"{url}?{urlencode(query)}" if query else url


def _status(error: MicrocredError | None) -> int:
    return error.status if error is not None else 200


def _entrance(
    request: TenantRequest, template: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    """Render a sign-in page; its links to the other sign-in pages keep `next` and the unit."""
    next_url = context.setdefault("next", _next_url(request))
    unit = context.setdefault("origin_unit", unit_origin(request, request.tenant))
    slug = unit.slug if unit is not None else ""
    email = context.pop("email_for_links", "")
    context["signup_url"] = _with_next(reverse("account_signup"), next_url, email=email, unit=slug)
    context["signin_url"] = _with_next(reverse("account_login"), next_url, email=email, unit=slug)
    return render(request, template, context, status=status)


@never_cache
def signin_page(request: TenantRequest) -> HttpResponse:
    """Sign in: e-mail me a code (the default), or a password for people who added one."""
    next_url = _next_url(request)
    if request.user.is_authenticated:
        return redirect(next_url or "home")
    # A typed password means a password sign-in, whichever button (or Enter) submitted the form.
    wants_password = request.POST.get("action") == "password" or bool(request.POST.get("password"))
    if request.method == "POST" and wants_password:
        response: HttpResponse = allauth_views.login(request)
        return response
    if request.method == "GET":
        remember_unit_origin(request, request.tenant, request.GET.get("unit"))
    form = CodeRequestForm(request.POST or None, initial={"login": request.GET.get("email", "")})
    error: MicrocredError | None = None
    if request.method == "POST" and form.is_valid():
        try:
            signin.signin_code_request(request=request, email=form.cleaned_data["login"])
        except MicrocredError as exc:
            error = exc
            form_errors_from(form, exc, {"email": "login"})
        else:
            return redirect(_with_next(reverse("account_confirm_login_code"), next_url))
    context = {"form": form, "error": error}
    return _entrance(request, "account/login.html", context, status=_status(error) if form.errors else 200)


@never_cache
def signup_page(request: TenantRequest) -> HttpResponse:
    return _email_entrance(
        request,
        form=SignupForm(request.POST or None, initial={"email": request.GET.get("email", "")}),
        start=signin.account_signup,
        template="learners/signup.html",
    )


@never_cache
def guest_page(request: TenantRequest) -> HttpResponse:
    """Guest checkout's identity step: an e-mail address, then the code. No password."""
    if request.user.is_authenticated:
        messages.info(request, _("You are signed in already."))
    return _email_entrance(
        request,
        form=GuestForm(request.POST or None),
        start=signin.guest_identity_for_email,
        template="learners/guest.html",
    )


def _email_entrance(
    request: TenantRequest, *, form: SignupForm | GuestForm, start: Callable[..., object], template: str
) -> HttpResponse:
    """Signing up and guest checkout alike: an e-mail address and a name, then the code that
    `start` sent (to the code page, keeping where the learner was going)."""
    next_url = _next_url(request)
    if request.user.is_authenticated:
        return redirect(next_url or "home")
    if request.method == "GET":
        remember_unit_origin(request, request.tenant, request.GET.get("unit"))
    error: MicrocredError | None = None
    if request.method == "POST" and form.is_valid():
        try:
            start(request=request, email=form.cleaned_data["email"], full_name=form.cleaned_data["full_name"])
        except MicrocredError as exc:
            error = exc
            form_errors_from(form, exc)
        else:
            return redirect(_with_next(reverse("account_confirm_login_code"), next_url))
    context = {"form": form, "error": error}
    return _entrance(request, template, context, status=_status(error) if form.errors else 200)


@never_cache
def confirm_code_page(request: TenantRequest) -> HttpResponse:
    next_url = _next_url(request)
    email = signin.pending_code_email(request)
    if request.method == "POST" and request.POST.get("action") == "resend" and email:
        try:
            signin.signin_code_request(request=request, email=email)
        except MicrocredError as exc:
            messages.error(request, exc.message)
        return redirect(_with_next(reverse("account_confirm_login_code"), next_url))
    form = CodeForm(request.POST or None)
    error: MicrocredError | None = None
    if request.method == "POST" and form.is_valid():
        try:
            return signin.signin_code_confirm(
                request=request, code=form.cleaned_data["code"], next_url=next_url
            )
        except CodeIncorrect as exc:
            error = exc
            form_errors_from(form, exc)
        except MicrocredError as exc:
            # Nothing left to type the code into: start again, with the address kept.
            messages.error(request, exc.message)
            return redirect(_with_next(reverse("account_login"), next_url, email=email or ""))
    elif email is None:
        messages.error(request, _("This code was already used, or it has expired. Ask for a new code."))
        return redirect(_with_next(reverse("account_login"), next_url))
    context = {"form": form, "email": email}
    return _entrance(
        request, "learners/confirm_code.html", context, status=_status(error) if form.errors else 200
    )


@never_cache
def staff_code_page(request: TenantRequest) -> HttpResponse:
    """Sign in with a code that staff had e-mailed (the learner's browser holds no pending code)."""
    next_url = _next_url(request)
    if request.user.is_authenticated:
        return redirect(next_url or "home")
    form = StaffCodeForm(request.POST or None, initial={"email": request.GET.get("email", "")})
    error: MicrocredError | None = None
    if request.method == "POST" and form.is_valid():
        try:
            return staff_code_redeem(
                request=request,
                tenant=request.tenant,
                email=form.cleaned_data["email"],
                code=form.cleaned_data["code"],
                next_url=next_url,
            )
        except MicrocredError as exc:
            error = exc
            form_errors_from(form, exc)
    return _entrance(
        request, "learners/staff_code.html", {"form": form}, status=_status(error) if form.errors else 200
    )


def _profile_context(request: StaffRequest, **overrides: Any) -> dict[str, Any]:
    user = request.user
    units = list(public_units(tenant=request.tenant))
    current = selectors.consents_current(tenant=request.tenant, user=user)
    context: dict[str, Any] = {
        "profile_form": ProfileForm(instance=user),
        "contact_form": ContactForm(units=units, current=current),
        "reminders_form": RemindersForm(
            initial={"reminders": selectors.reminders_enabled(tenant=request.tenant, user=user)}
        ),
        "record": selectors.learner_record(tenant=request.tenant, user=user),
    }
    context.update(overrides)
    return context


@login_required
def profile_page(request: StaffRequest) -> HttpResponse:
    if request.method != "POST":
        return render(request, "learners/profile.html", _profile_context(request))
    form = ProfileForm(request.POST, instance=request.user)
    if form.is_valid():
        profile_services.profile_update(
            user=request.user,
            full_name=form.cleaned_data["full_name"],
            preferred_name=form.cleaned_data["preferred_name"],
            phone=form.cleaned_data["phone"],
        )
        messages.success(request, _("Your details are saved."))
        return redirect("profile")
    # Keep what was typed: the form instance was changed by validation, so reload the account.
    request.user.refresh_from_db()
    return render(request, "learners/profile.html", _profile_context(request, profile_form=form), status=400)


@require_POST
@login_required
def profile_contact(request: StaffRequest) -> HttpResponse:
    units = list(public_units(tenant=request.tenant))
    current = selectors.consents_current(tenant=request.tenant, user=request.user)
    form = ContactForm(request.POST, units=units, current=current)
    form.is_valid()  # checkboxes: always valid
    changed = profile_services.consent_set(tenant=request.tenant, user=request.user, choices=form.choices())
    if changed:
        messages.success(request, _("Your contact choices are saved."))
    else:
        messages.info(request, _("Nothing changed in your contact choices."))
    return redirect(reverse("profile") + "#contact")


@require_POST
@login_required
def profile_reminders(request: StaffRequest) -> HttpResponse:
    form = RemindersForm(request.POST)
    form.is_valid()  # a checkbox: always valid
    enabled = bool(form.cleaned_data.get("reminders"))
    reminder_services.reminders_set(tenant=request.tenant, user=request.user, enabled=enabled)
    if enabled:
        messages.success(request, _("Reminders are on."))
    else:
        messages.success(
            request, _("Reminders are off. E-mails about what happens to your seats still reach you.")
        )
    return redirect(reverse("profile") + "#reminders")


@login_required
def profile_export(request: StaffRequest) -> HttpResponse:
    data = identity_services.account_export(user=request.user)
    body = json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    filename = f"microcred-my-data-{timezone.now().date().isoformat()}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
def profile_delete(request: StaffRequest) -> HttpResponse:
    blockers = identity_services.account_deletion_blockers(user=request.user)
    form = DeleteAccountForm(request.POST or None, user=request.user)
    if request.method == "POST" and not blockers and form.is_valid():
        try:
            identity_services.account_delete(user=request.user)
        except AccountDeletionRefused as exc:
            blockers = exc.reasons
        else:
            logout(request)
            messages.success(
                request,
                _(
                    "Your account is deleted. Records the law asks us to keep no longer carry your "
                    "name or e-mail."
                ),
            )
            return HttpResponseRedirect(reverse("home"))
    status = 409 if blockers and request.method == "POST" else (400 if form.errors else 200)
    return render(request, "learners/delete.html", {"form": form, "blockers": blockers}, status=status)

"""Django admin for platform operators: only on the platform's own host (settings.PLATFORM_HOST;
every other host answers 404), reached through allauth's sign-in (rate-limited, codes), and only
by an operator who has an authenticator app (TOTP) and used it in this session."""

from __future__ import annotations

from typing import Any

from allauth.account.authentication import get_authentication_records
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.http.request import split_domain_port
from django.shortcuts import redirect
from django.urls import reverse


def is_platform_host(request: HttpRequest) -> bool:
    name, _port = split_domain_port(request.get_host())
    return bool(settings.PLATFORM_HOST) and name == settings.PLATFORM_HOST


def used_mfa(request: HttpRequest) -> bool:
    """The person signed in this session with their second factor (allauth's record of it)."""
    return any(record.get("method") == "mfa" for record in get_authentication_records(request, request.user))


def has_totp(user: Any) -> bool:
    return bool(Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists())


def _has_permission(request: HttpRequest) -> bool:
    if not is_platform_host(request):
        raise Http404
    user = request.user
    return bool(user.is_active and user.is_staff and has_totp(user) and used_mfa(request))


def _login(request: HttpRequest, extra_context: Any = None) -> HttpResponse:
    """The admin's own password form is never shown: allauth's sign-in, then the second factor."""
    if not is_platform_host(request):
        raise Http404
    next_url = request.GET.get("next") or reverse("admin:index")
    user = request.user
    if not user.is_authenticated:
        return redirect_to_login(next_url, reverse("account_login"))
    if user.is_staff and not has_totp(user):
        return redirect(f"{reverse('mfa_activate_totp')}?next={next_url}")
    if user.is_staff and not used_mfa(request):
        return redirect(f"{reverse('mfa_reauthenticate')}?next={next_url}")
    raise Http404


def install() -> None:
    site = admin.site
    site.has_permission = _has_permission  # type: ignore[method-assign]
    site.login = _login  # type: ignore[method-assign]

"""Microcred's allauth adapters: where allauth asks the platform what to do.

AccountAdapter: brands every allauth e-mail (tenant, or the unit the learner came from), records
the learner at the tenant on each sign-in, and words the errors people see.
SocialAccountAdapter: serves each tenant's own provider credentials, so a provider shows only
on the sites of tenants that configured it, and refuses sign-ins without a verified e-mail.
"""

from __future__ import annotations

import time
from typing import Any

from allauth.account import app_settings as account_app_settings
from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.authentication import get_authentication_records
from allauth.core import context
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialApp, SocialLogin
from django.core.mail import EmailMessage
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _

from identity.models import User
from learners.branding import brand_for, unit_origin
from learners.errors import SocialEmailUnverified
from learners.models import LearnerOrigin
from learners.services.records import learner_record_ensure
from learners.services.signin import SESSION_ORIGIN_KEY
from tenants.brand import Brand
from tenants.mail import branded_email
from tenants.models import SocialProvider, SocialProviderKind, Tenant
from tenants.selectors import staff_access

LINKEDIN_OIDC_SERVER = "https://www.linkedin.com/oauth"


def _current_request(request: HttpRequest | None = None) -> HttpRequest | None:
    return request if request is not None else context.request


def _tenant(request: HttpRequest | None) -> Tenant | None:
    return getattr(_current_request(request), "tenant", None)


class AccountAdapter(DefaultAccountAdapter):  # type: ignore[misc]
    error_messages = {
        **DefaultAccountAdapter.error_messages,
        "email_taken": _("An account already uses this address."),
        "too_many_login_attempts": _("Too many attempts. Wait a few minutes, then try again."),
        "incorrect_code": _("That code is not right. Check the e-mail and try again."),
        "rate_limited": _("Too many requests. Wait a few minutes, then try again."),
    }

    def _brand(self) -> Brand | None:
        request = _current_request()
        tenant = _tenant(request)
        if request is None or tenant is None:
            return None
        return brand_for(tenant, unit_origin(request, tenant))

    def render_mail(
        self,
        template_prefix: str,
        email: str | list[str],
        context: dict[str, Any],
        headers: dict[str, str] | None = None,
    ) -> EmailMessage:
        """At a tenant, in its brand (or the unit's the learner came from): tenants.mail."""
        brand = self._brand()
        if brand is None:
            message: EmailMessage = super().render_mail(template_prefix, email, context, headers)
            return message
        message = branded_email(
            brand=brand,
            to=[email] if isinstance(email, str) else email,
            template_prefix=template_prefix,
            context=context,
            request=_current_request(),
        )
        message.extra_headers.update(headers or {})
        return message

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        brand = self._brand()
        if brand is not None:
            context = {"brand": brand, "tenant": _tenant(None), **context}
        super().send_mail(template_prefix, email, context)

    def add_message(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        # API clients read the response body; a flash message would surface on a later page.
        # A service called outside a page (no message storage) has no one to tell either.
        if request.path.startswith("/api/") or not hasattr(request, "_messages"):
            return
        super().add_message(request, *args, **kwargs)

    def is_safe_url(self, url: str) -> bool:
        """Only the request's own host: every tenant's host is in ALLOWED_HOSTS, and `?next=` must
        not carry someone who just signed in (or out) at one tenant to another's host."""
        request = _current_request()
        if request is None:
            return False
        return url_has_allowed_host_and_scheme(
            url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )

    def is_reauthentication_required(self, *, app: str, **kwargs: Any) -> bool:
        """Setting up the authenticator app right after signing in does not ask again for the
        password (or code) just given: a sign-in within the reauthentication window counts."""
        request = _current_request()
        user = getattr(request, "user", None)
        if app == "allauth.mfa" and request is not None and user is not None and user.is_authenticated:
            records = get_authentication_records(request, user)
            window = account_app_settings.REAUTHENTICATION_TIMEOUT
            if records and time.time() - float(records[-1].get("at", 0)) < window:
                return False
        required: bool = super().is_reauthentication_required(app=app, **kwargs)
        return required

    def get_login_redirect_url(self, request: HttpRequest) -> str:
        """Staff land on their console, everyone else where the settings say (the catalog)."""
        tenant = _tenant(request)
        user = getattr(request, "user", None)
        signed_in = user is not None and user.is_authenticated
        if tenant is not None and signed_in and staff_access(tenant=tenant, user=user).is_staff:
            return reverse("console-home")
        url: str = super().get_login_redirect_url(request)
        return url

    def post_login(self, request: HttpRequest, user: User, **kwargs: Any) -> HttpResponse:
        tenant = _tenant(request)
        origin = request.session.pop(SESSION_ORIGIN_KEY, None)
        if tenant is not None and not user.is_deleted:
            if origin is None:
                origin = LearnerOrigin.SIGN_UP if kwargs.get("signup") else LearnerOrigin.SIGN_IN
            learner_record_ensure(tenant=tenant, user=user, origin=origin, unit=unit_origin(request, tenant))
        response: HttpResponse = super().post_login(request, user, **kwargs)
        return response


def social_app_for(provider: SocialProvider) -> SocialApp:
    """The allauth app (never saved) for one tenant's provider configuration."""
    common = {"client_id": provider.client_id, "secret": provider.secret}
    if provider.kind == SocialProviderKind.LINKEDIN:
        return SocialApp(
            provider="openid_connect",
            provider_id="linkedin",
            name="LinkedIn",
            settings={"server_url": LINKEDIN_OIDC_SERVER},
            **common,
        )
    if provider.kind == SocialProviderKind.APPLE:
        return SocialApp(
            provider="apple",
            name="Apple",
            key=provider.apple_team_id,
            settings={"certificate_key": provider.apple_private_key},
            **common,
        )
    if provider.kind == SocialProviderKind.MICROSOFT:
        return SocialApp(
            provider="microsoft",
            name="Microsoft",
            settings={"tenant": "common", "verified_email": provider.domains or False},
            **common,
        )
    return SocialApp(provider=provider.kind, name=provider.get_kind_display(), **common)


class NoSocialApp(SocialApp.DoesNotExist, Http404):  # type: ignore[misc]
    """A provider this tenant has not set up: a 404 page, where allauth's own code still reads
    the DoesNotExist it expects."""


class SocialAccountAdapter(DefaultSocialAccountAdapter):  # type: ignore[misc]
    def get_app(self, request: HttpRequest | None, provider: str, client_id: str | None = None) -> SocialApp:
        try:
            return super().get_app(request, provider, client_id)
        except SocialApp.DoesNotExist:
            raise NoSocialApp(_("This sign-in method is not offered here.")) from None

    def list_apps(
        self, request: HttpRequest | None, provider: str | None = None, client_id: str | None = None
    ) -> list[SocialApp]:
        tenant = _tenant(request)
        if tenant is None:
            return []
        apps = [social_app_for(p) for p in SocialProvider.objects.filter(tenant=tenant, is_enabled=True)]
        if provider:
            apps = [a for a in apps if provider in (a.provider, a.provider_id)]
        if client_id:
            apps = [a for a in apps if a.client_id == client_id]
        return apps

    def pre_social_login(self, request: HttpRequest, sociallogin: SocialLogin) -> None:
        """A provider account seen for the first time must bring a verified e-mail address: that
        is what lets it join an existing account safely, and what a new account is."""
        if sociallogin.is_existing and sociallogin.account.pk:
            return
        if any(address.verified for address in sociallogin.email_addresses):
            return
        provider = sociallogin.provider.name
        error = SocialEmailUnverified(
            _(
                "%(provider)s did not give us a verified e-mail address, so we cannot sign you in with "
                "it. Sign in with a code sent to your e-mail instead."
            )
            % {"provider": provider}
        )
        raise ImmediateHttpResponse(
            render(request, "learners/social_error.html", {"error": error, "provider": provider}, status=400)
        )

    def populate_user(self, request: HttpRequest, sociallogin: SocialLogin, data: dict[str, Any]) -> User:
        user: User = super().populate_user(request, sociallogin, data)
        name = data.get("name") or " ".join(p for p in (data.get("first_name"), data.get("last_name")) if p)
        user.full_name = (name or "").strip()[:200]
        user.email = (user.email or "").lower()
        return user

    def on_authentication_error(
        self,
        request: HttpRequest,
        provider: Any,
        error: Any = None,
        exception: Any = None,
        extra_context: Any = None,
    ) -> None:
        raise ImmediateHttpResponse(
            render(
                request,
                "learners/social_error.html",
                {
                    "provider": getattr(provider, "name", ""),
                    "error": None,
                    "cancelled": error == "cancelled",
                },
                status=400,
            )
        )

"""The tenant's OpenID provider (namespace "oauth2_provider", which DOT reverses): discovery at
the host's root, the endpoints under /oidc/; and the console's relying parties and entitlements."""

from __future__ import annotations

from django.urls import URLPattern, path, re_path
from oauth2_provider import views as dot

from access import oidc_views

app_name = "oauth2_provider"

urlpatterns: list[URLPattern] = [
    re_path(
        r"^\.well-known/openid-configuration$",
        oidc_views.TenantDiscoveryView.as_view(),
        name="oidc-connect-discovery-info",
    ),
    path("oidc/authorize/", dot.AuthorizationView.as_view(), name="authorize"),
    path("oidc/token/", dot.TokenView.as_view(), name="token"),
    path("oidc/userinfo/", dot.UserInfoView.as_view(), name="user-info"),
    path("oidc/jwks/", oidc_views.jwks, name="jwks-info"),
    path("oidc/logout/", dot.RPInitiatedLogoutView.as_view(), name="rp-initiated-logout"),
    path("oidc/revoke/", dot.RevokeTokenView.as_view(), name="revoke-token"),
]

"""The staff console's learning access: relying parties (tenant admins), the tenant's ID-token
key, and entitlements (staff who run units)."""

from __future__ import annotations

from django.urls import URLPattern, path

from access import console_oidc as console

urlpatterns: list[URLPattern] = [
    path("console/sign-in-clients/", console.relying_party_list, name="console-relying-parties"),
    path("console/sign-in-clients/new/", console.relying_party_new, name="console-relying-party-new"),
    path(
        "console/sign-in-clients/rotate-key/", console.signing_key_rotate, name="console-signing-key-rotate"
    ),
    path("console/sign-in-clients/<int:pk>/", console.relying_party_edit, name="console-relying-party"),
    path(
        "console/sign-in-clients/<int:pk>/credentials/",
        console.relying_party_credentials,
        name="console-relying-party-credentials",
    ),
    path(
        "console/sign-in-clients/<int:pk>/<slug:action>/",
        console.relying_party_action,
        name="console-relying-party-action",
    ),
    path("console/entitlements/", console.entitlement_list, name="console-entitlements"),
    path("console/entitlements/active.csv", console.entitlement_export, name="console-entitlements-export"),
    path(
        "console/entitlements/<int:pk>/delete/", console.entitlement_delete, name="console-entitlement-delete"
    ),
]

"""Public credential endpoints: issuers' DID documents, status lists, achievements, the verifier;
and the staff console's credentials."""

from __future__ import annotations

from django.urls import URLPattern, path

from credentials import console, console_recognitions, views

urlpatterns: list[URLPattern] = [
    path(".well-known/did.json", views.tenant_did_document, name="credentials-tenant-did"),
    path("units/<slug:slug>/did.json", views.did_document, name="credentials-did"),
    path("units/<slug:slug>/status/<slug:purpose>", views.status_list, name="credentials-status-list"),
    path("units/<slug:slug>/achievements/<int:pk>", views.achievement, name="credentials-achievement"),
    path("verify/", views.verify, name="credentials-verify"),
    path("console/credentials/", console.credential_list, name="console-credentials"),
    path(
        "console/credentials/<int:pk>/<slug:action>/",
        console.credential_action,
        name="console-credential-action",
    ),
    path("console/recognitions/", console_recognitions.recognition_list, name="console-recognitions"),
    path(
        "console/recognitions/<int:pk>/",
        console_recognitions.recognition_detail,
        name="console-recognition",
    ),
]

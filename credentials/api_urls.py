"""Credential endpoints under /api/v1/ (microcred/api_urls.py includes this)."""

from django.urls import path

from credentials import api

urlpatterns = [
    path("credentials/verify", api.VerifyApi.as_view(), name="api-credentials-verify"),
    path("staff/credentials/", api.StaffCredentialListApi.as_view(), name="api-staff-credentials"),
    path(
        "staff/credentials/<int:pk>/<slug:action>/",
        api.StaffCredentialActionApi.as_view(),
        name="api-staff-credential-action",
    ),
    path("staff/recognitions/", api.StaffRecognitionListApi.as_view(), name="api-staff-recognitions"),
    path(
        "staff/recognitions/<int:pk>/decision/",
        api.StaffRecognitionDecisionApi.as_view(),
        name="api-staff-recognition-decision",
    ),
]

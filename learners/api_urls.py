"""Mounted at /api/v1/ by microcred/urls.py."""

from django.urls import path

from learners import api

urlpatterns = [
    path("me/", api.MeApi.as_view(), name="api-me"),
    path("auth/code/", api.CodeRequestApi.as_view(), name="api-code-request"),
    path("auth/code/confirm/", api.CodeConfirmApi.as_view(), name="api-code-confirm"),
    path("auth/signup/", api.SignupApi.as_view(), name="api-signup"),
    path("guest/", api.GuestApi.as_view(), name="api-guest"),
    path("learners/", api.LearnerLookupApi.as_view(), name="api-learners"),
]

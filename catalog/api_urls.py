"""Catalog endpoints under /api/v1/ (microcred/api_urls.py includes this)."""

from django.urls import path

from catalog import api

urlpatterns = [
    path("catalog/offerings/", api.PublicOfferingListApi.as_view(), name="api-catalog-offerings"),
    path("catalog/offerings/<int:pk>/", api.PublicOfferingDetailApi.as_view(), name="api-catalog-offering"),
    path(
        "staff/microcredentials/",
        api.StaffMicrocredentialListApi.as_view(),
        name="api-staff-microcredentials",
    ),
    path(
        "staff/microcredentials/<int:pk>/",
        api.StaffMicrocredentialDetailApi.as_view(),
        name="api-staff-microcredential",
    ),
    path(
        "staff/microcredentials/<int:pk>/<slug:action>/",
        api.StaffMicrocredentialTransitionApi.as_view(),
        name="api-staff-microcredential-action",
    ),
    path("staff/offerings/", api.StaffOfferingListApi.as_view(), name="api-staff-offerings"),
    path("staff/offerings/<int:pk>/", api.StaffOfferingDetailApi.as_view(), name="api-staff-offering"),
    path(
        "staff/offerings/<int:pk>/<slug:action>/",
        api.StaffOfferingTransitionApi.as_view(),
        name="api-staff-offering-action",
    ),
]

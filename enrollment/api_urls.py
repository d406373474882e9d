"""Enrollment endpoints under /api/v1/ (microcred/api_urls.py includes this)."""

from django.urls import path

from enrollment import api, api_completion, api_staff

urlpatterns = [
    path("enrollments/", api.EnrollmentListApi.as_view(), name="api-enrollments"),
    path("enrollments/<int:pk>/", api.EnrollmentDetailApi.as_view(), name="api-enrollment"),
    path(
        "enrollments/<int:pk>/<slug:action>/", api.EnrollmentActionApi.as_view(), name="api-enrollment-action"
    ),
    path("staff/offerings/<int:pk>/roster/", api_staff.StaffRosterApi.as_view(), name="api-staff-roster"),
    path(
        "staff/offerings/<int:pk>/enrollments/", api_staff.StaffEnrollApi.as_view(), name="api-staff-enroll"
    ),
    path(
        "staff/offerings/<int:pk>/offer-window/",
        api_staff.StaffOfferWindowApi.as_view(),
        name="api-staff-offer-window",
    ),
    path(
        "staff/offerings/<int:pk>/completions/",
        api_completion.StaffBulkCompletionApi.as_view(),
        name="api-staff-completions",
    ),
    path(
        "staff/offerings/<int:pk>/completions/csv/",
        api_completion.StaffCompletionFileApi.as_view(),
        name="api-staff-completions-csv",
    ),
    path(
        "staff/enrollments/<int:pk>/completion/",
        api_completion.StaffCompletionApi.as_view(),
        name="api-staff-completion",
    ),
    path(
        "staff/enrollments/<int:pk>/<slug:action>/",
        api_staff.StaffEnrollmentActionApi.as_view(),
        name="api-staff-enrollment-action",
    ),
]

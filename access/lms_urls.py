"""The staff console's LMS connections."""

from __future__ import annotations

from django.urls import URLPattern, path

from access import console

urlpatterns: list[URLPattern] = [
    path("console/lms/", console.connection_list, name="console-lms"),
    path("console/lms/new/", console.connection_new, name="console-lms-new"),
    path("console/lms/<int:pk>/", console.connection_edit, name="console-lms-connection"),
    path("console/lms/<int:pk>/test/", console.connection_check, name="console-lms-test"),
]

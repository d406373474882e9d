"""OneRoster 1.2: the rostering REST endpoints, the bulk CSV zip for clients, and the console's
OneRoster page (clients and the export)."""

from __future__ import annotations

from django.urls import URLPattern, path, re_path

from access import console_oneroster, oneroster_views

urlpatterns: list[URLPattern] = [
    re_path(r"^ims/oneroster/rostering/v1p2/(?P<path>.+?)/?$", oneroster_views.rostering, name="oneroster"),
    path("ims/oneroster/csv/v1p2/bulk.zip", oneroster_views.bulk_export, name="oneroster-bulk"),
    path("console/oneroster/", console_oneroster.client_list, name="console-oneroster"),
    path("console/oneroster/new/", console_oneroster.client_new, name="console-oneroster-new"),
    path("console/oneroster/export.zip", console_oneroster.export, name="console-oneroster-export"),
    path(
        "console/oneroster/<int:pk>/credentials/",
        console_oneroster.client_credentials,
        name="console-oneroster-credentials",
    ),
    path(
        "console/oneroster/<int:pk>/<slug:action>/",
        console_oneroster.client_action,
        name="console-oneroster-action",
    ),
]

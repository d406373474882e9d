from django.conf import settings
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path, re_path
from django.views.static import serve

from identity import admin_site

admin_site.install()

# Under /api/ every error answers in the API's shape, never as an HTML page.
handler400 = "core.error_pages.bad_request"
handler403 = "core.error_pages.permission_denied"
handler404 = "core.error_pages.page_not_found"
handler500 = "core.error_pages.server_error"

urlpatterns: list[URLPattern | URLResolver] = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("learners.api_urls")),
    # learners' sign-in pages take allauth's paths for sign-in, sign-up and codes: include first.
    path("", include("learners.urls")),
    path("accounts/", include("allauth.urls")),
    path("api/v1/", include("microcred.api_urls")),
    path("", include("payments.urls")),
    path("", include("finance.urls")),
    path("", include("sponsors.urls")),
    path("", include("webhooks.urls")),
    path("", include("demand.urls")),
    path("", include("credentials.urls")),
    path("", include("credentials.learner_urls")),
    # access's /my/learning/<id>/course/ before enrollment's /my/learning/<id>/<action>/.
    path("", include("access.urls")),
    path("", include("access.oidc_urls")),
    path("", include("access.console_urls")),
    path("", include("access.oneroster_urls")),
    path("", include("enrollment.urls")),
    path("", include("catalog.urls")),
    path("", include("tenants.urls")),
]

if settings.SERVE_MEDIA:
    urlpatterns += [
        re_path(r"^media/(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT}),
    ]

"""`/api/v1/`: the OpenAPI schema, its browsable docs (served from our own static files, no CDN),
and each app's endpoints. An app joins with one `include` line below."""

from django.urls import URLPattern, URLResolver, include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

urlpatterns: list[URLPattern | URLResolver] = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
    # Before catalog's: its staff/offerings/<id>/<action>/ would catch .../roster/ otherwise.
    path("", include("finance.api_urls")),
    path("", include("credentials.api_urls")),
    path("", include("enrollment.api_urls")),
    path("", include("payments.api_urls")),
    path("", include("catalog.api_urls")),
]

"""The real URLconf plus /bench/trivial/, which returns a constant through the same middleware."""

from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver, path

from microcred.urls import urlpatterns as real_urlpatterns


def trivial(request: HttpRequest) -> HttpResponse:
    return HttpResponse(b"ok", content_type="text/plain")


urlpatterns: list[URLPattern | URLResolver] = [path("bench/trivial/", trivial), *real_urlpatterns]

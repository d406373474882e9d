"""Error answers for every request: the API's error shape under /api/, else a page in the
tenant's brand. Also Django's handler400/403/404/500, so nothing under /api/ answers HTML."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views import defaults

from core.api import error_body

API_PREFIX = "/api/"


def is_api(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIX)


def refuse(request: HttpRequest, *, status: int, code: str, message: str) -> HttpResponse:
    if is_api(request):
        return JsonResponse(error_body(code, message), status=status)
    title = _("This address is too long") if status == 414 else _("This request cannot be used")
    page = render_to_string("errors/refused.html", {"title": title, "message": message}, request=request)
    return HttpResponse(page, status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return refuse(request, status=400, code="bad_request", message=_("This request cannot be used."))


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if is_api(request):
        message = _("You do not have permission to do this.")
        return JsonResponse(error_body("permission_denied", message), status=403)
    return defaults.permission_denied(request, exception or Exception())


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if is_api(request):
        return JsonResponse(error_body("not_found", _("Not found.")), status=404)
    return defaults.page_not_found(request, exception or Exception())


def server_error(request: HttpRequest) -> HttpResponse:
    if is_api(request):
        message = _("Something went wrong. The error was logged; please try again in a moment.")
        return JsonResponse(error_body("server_error", message), status=500)
    # Static on purpose: whatever broke may be what a branded page needs.
    return HttpResponse(render_to_string("500.html"), status=500)

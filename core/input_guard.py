"""Input no view can use, refused before any view sees it: a NUL character in a parameter
(PostgreSQL text cannot hold one) and a query string longer than any form of ours writes.

Under /api/ the answer is the API's error shape; elsewhere a page in the tenant's brand.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, QueryDict
from django.utils.translation import gettext as _

from core.error_pages import refuse

# Our longest form (the catalog's filters) writes a few hundred characters; gunicorn's request
# line limit (gunicorn.conf.py) is well above this, so Django answers first, in the brand.
MAX_QUERY_STRING = 2048
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _has_nul(data: QueryDict) -> bool:
    return any("\x00" in key or any("\x00" in value for value in data.getlist(key)) for key in data)


class InputGuardMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if len(request.META.get("QUERY_STRING", "")) > MAX_QUERY_STRING:
            return refuse(
                request,
                status=414,
                code="query_too_long",
                message=_("This address is too long. Shorten the search and try again."),
            )
        is_form = request.content_type in FORM_TYPES
        if _has_nul(request.GET) or (request.method == "POST" and is_form and _has_nul(request.POST)):
            return refuse(
                request,
                status=400,
                code="invalid",
                message=_("Some of what was sent contains a null character. Remove it and try again."),
            )
        return self.get_response(request)

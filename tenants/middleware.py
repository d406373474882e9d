"""Find the tenant from the request's host (remembered per process: tenants.cache). An unknown host
is a plain 404, never a guess."""

from __future__ import annotations

from collections.abc import Callable
from typing import cast
from zoneinfo import ZoneInfo

from django.http import HttpRequest, HttpResponse, HttpResponseNotFound
from django.template.loader import render_to_string
from django.utils import timezone

from tenants.cache import tenant_for_host_cached
from tenants.http import TenantRequest


class TenantMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        tenant = tenant_for_host_cached(request.get_host())
        if tenant is None:
            return HttpResponseNotFound(render_to_string("tenants/unknown_host.html"))
        cast(TenantRequest, request).tenant = tenant
        # Every time a page shows is in the tenant's zone (templates: the `when` filter).
        timezone.activate(ZoneInfo(tenant.time_zone))
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()

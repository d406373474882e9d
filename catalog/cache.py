"""Public catalog pages from a cache, invalidated by a per-tenant version.

Every service that changes what learners see calls `catalog_changed(tenant_id)`: it writes a new
version token to Redis (at once and again after commit), so the next request renders afresh.

Two layers (core.cache.VersionedCache): Redis, shared by every process, and a small copy in
each process that checks the tenant's version in Redis at most once a second. So a change shows
on the next request in the process that made it and within about a second everywhere else, and a
repeat visit costs no network round trip. Entries expire after CATALOG_CACHE_SECONDS in both
layers, which bounds how late a time-driven change (enrollment opening at 9:00) can show.

Only anonymous requests are served from or stored in the cache: a signed-in person's page
carries their name and a CSRF token.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpResponse, HttpResponseNotModified
from django.utils import translation
from django.utils.cache import patch_cache_control, patch_vary_headers

from core.cache import VersionedCache
from tenants.http import TenantRequest

logger = logging.getLogger(__name__)

# How long a browser or a shared cache may reuse an anonymous catalog page.
BROWSER_MAX_AGE = 10

View = Callable[..., HttpResponse]


@dataclass(frozen=True)
class Page:
    content_type: str
    body: bytes
    etag: str


# Per tenant; a process trusts the tenant's version for a second and keeps 256 pages (5–30 kB each).
pages: VersionedCache[Page] = VersionedCache("catalog", local_seconds=1.0, local_size=256)


def catalog_changed(tenant_id: int) -> None:
    """Make every cached catalog page of the tenant stale: now, and again once the current
    transaction commits (a page rendered between the two from the old rows is not kept)."""
    pages.changed(tenant_id)


# The query parameters a catalog page depends on; others (utm_source=…) share the same entry.
PAGE_PARAMS = ("q", "unit", "mode", "month", "price", "credits", "credit_type", "seats", "sort", "page")


def _page_key(request: TenantRequest) -> str:
    # The tenant's creation time guards against a reused id (a restored or recreated database).
    tenant = request.tenant
    params = sorted((name, value) for name in PAGE_PARAMS for value in request.GET.getlist(name))
    raw = f"{request.path}?{params!r}"
    digest = hashlib.sha256(raw.encode()).hexdigest()[:32]
    language = translation.get_language() or ""
    return f"page:{tenant.pk}:{tenant.created_at.timestamp():.6f}:{language}:{digest}"


def _cacheable(request: TenantRequest) -> bool:
    return (
        settings.CATALOG_CACHE_SECONDS > 0
        and request.method in ("GET", "HEAD")
        and "messages" not in request.COOKIES
        and not request.user.is_authenticated
    )


def _respond(request: TenantRequest, entry: Page) -> HttpResponse:
    if request.META.get("HTTP_IF_NONE_MATCH") == entry.etag:
        response: HttpResponse = HttpResponseNotModified()
    else:
        response = HttpResponse(entry.body, content_type=entry.content_type)
    response["ETag"] = entry.etag
    patch_cache_control(response, public=True, max_age=min(BROWSER_MAX_AGE, settings.CATALOG_CACHE_SECONDS))
    patch_vary_headers(response, ["Cookie", "Accept-Language"])
    return response


def cached_public_page(view: View) -> View:
    """Serve an anonymous visitor's page from the cache while the tenant's version is unchanged."""

    @wraps(view)
    def wrapper(request: TenantRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not _cacheable(request):
            response = view(request, *args, **kwargs)
            if request.user.is_authenticated:
                patch_cache_control(response, private=True, no_cache=True)
            return response
        page_key = _page_key(request)
        seconds = settings.CATALOG_CACHE_SECONDS
        try:
            version, stored = pages.lookup(request.tenant.pk, page_key, max_age=seconds)
        except Exception:  # Redis down or an unreadable entry: render, the page must still work
            logger.exception("catalog page cache lookup failed")
            return view(request, *args, **kwargs)
        if stored is not None:
            return _respond(request, stored.value)
        response = view(request, *args, **kwargs)
        if response.status_code != 200 or response.streaming:
            return response
        body = response.content
        page = Page(
            content_type=response["Content-Type"],
            body=body,
            etag='"' + hashlib.sha256(body).hexdigest()[:32] + '"',
        )
        pages.store(page_key, version, page, timeout=seconds)
        return _respond(request, page)

    return wrapper

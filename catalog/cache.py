"""Public catalog pages from a cache, invalidated by a per-tenant version.

Every service that changes what learners see calls `catalog_changed(tenant_id)`: it writes a new
version token to Redis (at once and again after commit), so the next request renders afresh.

Two layers: Redis, shared by every process, and a small copy in each process that checks the
tenant's version in Redis at most once every LOCAL_VERSION_SECONDS. So a change shows on the
next request in the process that made it and within about a second everywhere else, and a
repeat visit costs no network round trip. Entries expire after CATALOG_CACHE_SECONDS in both
layers, which bounds how late a time-driven change (enrollment opening at 9:00) can show.

Only anonymous requests are served from or stored in the cache: a signed-in person's page
carries their name and a CSRF token.
"""

from __future__ import annotations

import hashlib
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse, HttpResponseNotModified
from django.utils import translation
from django.utils.cache import patch_cache_control, patch_vary_headers

from tenants.http import TenantRequest

logger = logging.getLogger(__name__)

# How long a browser or a shared cache may reuse an anonymous catalog page.
BROWSER_MAX_AGE = 10
# How long a process trusts the tenant's version it last read from Redis.
LOCAL_VERSION_SECONDS = 1.0
# Pages one process keeps (a catalog page is 5–30 kB).
LOCAL_PAGES = 256

View = Callable[..., HttpResponse]


@dataclass(frozen=True)
class Entry:
    version: str
    stored_at: float  # time.time(), comparable across processes
    content_type: str
    body: bytes
    etag: str


# Per process: tenant id → (monotonic time read, version); page key → entry.
_versions: dict[int, tuple[float, str]] = {}
_pages: dict[str, Entry] = {}
_clock = time.monotonic


def _version_key(tenant_id: int) -> str:
    return f"catalog:version:{tenant_id}"


def _bump(tenant_id: int) -> None:
    _versions.pop(tenant_id, None)
    try:
        cache.set(_version_key(tenant_id), uuid.uuid4().hex, None)
    except Exception:  # the cache being down must never undo a catalog change; entries expire anyway
        logger.exception("could not bump the catalog cache version of tenant %s", tenant_id)


def catalog_changed(tenant_id: int) -> None:
    """Make every cached catalog page of the tenant stale: now, and again once the current
    transaction commits (a page rendered between the two from the old rows is not kept)."""
    _bump(tenant_id)
    transaction.on_commit(lambda: _bump(tenant_id))


# The query parameters a catalog page depends on; others (utm_source=…) share the same entry.
PAGE_PARAMS = ("q", "unit", "mode", "month", "price", "credits", "credit_type", "seats", "sort", "page")


def _page_key(request: TenantRequest) -> str:
    # The tenant's creation time guards against a reused id (a restored or recreated database).
    tenant = request.tenant
    params = sorted((name, value) for name in PAGE_PARAMS for value in request.GET.getlist(name))
    raw = f"{request.path}?{params!r}"
    digest = hashlib.sha256(raw.encode()).hexdigest()[:32]
    language = translation.get_language() or ""
    return f"catalog:page:{tenant.pk}:{tenant.created_at.timestamp():.6f}:{language}:{digest}"


def _fresh(entry: Any, version: str) -> bool:
    return (
        isinstance(entry, Entry)
        and entry.version == version
        and time.time() - entry.stored_at < settings.CATALOG_CACHE_SECONDS
    )


def _lookup(tenant_id: int, page_key: str) -> tuple[str, Entry | None]:
    """The tenant's current version and a fresh entry for the page, if there is one."""
    now = _clock()
    known = _versions.get(tenant_id)
    if known is not None and now - known[0] < LOCAL_VERSION_SECONDS:
        version = known[1]
        local = _pages.get(page_key)
        if local is not None and _fresh(local, version):
            return version, local
        entry = cache.get(page_key)
    else:
        found = cache.get_many([_version_key(tenant_id), page_key])
        version = found.get(_version_key(tenant_id), "")
        _versions[tenant_id] = (now, version)
        entry = found.get(page_key)
    if not _fresh(entry, version):
        return version, None
    _remember(page_key, entry)
    return version, entry


def _remember(page_key: str, entry: Entry) -> None:
    if len(_pages) >= LOCAL_PAGES:
        _pages.clear()  # simpler than LRU bookkeeping; refilled from Redis at once
    _pages[page_key] = entry


def _cacheable(request: TenantRequest) -> bool:
    return (
        settings.CATALOG_CACHE_SECONDS > 0
        and request.method in ("GET", "HEAD")
        and "messages" not in request.COOKIES
        and not request.user.is_authenticated
    )


def _respond(request: TenantRequest, entry: Entry) -> HttpResponse:
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
        try:
            version, entry = _lookup(request.tenant.pk, page_key)
        except Exception:  # Redis down or an unreadable entry: render, the page must still work
            logger.exception("catalog page cache lookup failed")
            return view(request, *args, **kwargs)
        if entry is not None:
            return _respond(request, entry)
        response = view(request, *args, **kwargs)
        if response.status_code != 200 or response.streaming:
            return response
        body = response.content
        entry = Entry(
            version=version,
            stored_at=time.time(),
            content_type=response["Content-Type"],
            body=body,
            etag='"' + hashlib.sha256(body).hexdigest()[:32] + '"',
        )
        try:
            cache.set(page_key, entry, settings.CATALOG_CACHE_SECONDS)
        except Exception:
            logger.exception("could not store a catalog page in the cache")
        _remember(page_key, entry)
        return _respond(request, entry)

    return wrapper

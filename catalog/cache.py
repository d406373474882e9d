"""Public catalog pages from Redis, invalidated by a per-tenant version.

Every service that changes what learners see calls `catalog_changed(tenant_id)` (after commit):
it writes a new version token, so the next request renders afresh; a change shows at once.
Entries also expire after CATALOG_CACHE_SECONDS, which bounds how stale a time-driven change
(enrollment opening at 9:00) or a seat count can be. Only anonymous requests are served from
or stored in the cache: a signed-in person's page carries their name and a CSRF token.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Callable
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

View = Callable[..., HttpResponse]


def _version_key(tenant_id: int) -> str:
    return f"catalog:version:{tenant_id}"


def _bump(tenant_id: int) -> None:
    try:
        cache.set(_version_key(tenant_id), uuid.uuid4().hex, None)
    except Exception:  # the cache being down must never undo a catalog change; entries expire anyway
        logger.exception("could not bump the catalog cache version of tenant %s", tenant_id)


def catalog_changed(tenant_id: int) -> None:
    """Make every cached catalog page of the tenant stale: now, and again once the current
    transaction commits (a page rendered between the two from the old rows is not kept)."""
    _bump(tenant_id)
    transaction.on_commit(lambda: _bump(tenant_id))


def _page_key(request: TenantRequest) -> str:
    # The tenant's creation time guards against a reused id (a restored or recreated database).
    tenant = request.tenant
    raw = f"{request.path}?{request.META.get('QUERY_STRING', '')}"
    digest = hashlib.sha256(raw.encode()).hexdigest()[:32]
    language = translation.get_language() or ""
    return f"catalog:page:{tenant.pk}:{tenant.created_at.timestamp():.6f}:{language}:{digest}"


def _cacheable(request: TenantRequest) -> bool:
    return (
        settings.CATALOG_CACHE_SECONDS > 0
        and request.method in ("GET", "HEAD")
        and "messages" not in request.COOKIES
        and not request.user.is_authenticated
    )


def _respond(request: TenantRequest, status: int, content_type: str, body: bytes, etag: str) -> HttpResponse:
    if request.META.get("HTTP_IF_NONE_MATCH") == etag and status == 200:
        response: HttpResponse = HttpResponseNotModified()
    else:
        response = HttpResponse(body, status=status, content_type=content_type)
    response["ETag"] = etag
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
        version_key, page_key = _version_key(request.tenant.pk), _page_key(request)
        found = cache.get_many([version_key, page_key])
        version = found.get(version_key, "")
        entry = found.get(page_key)
        if entry is not None and entry[0] == version:
            _, status, content_type, body, etag = entry
            return _respond(request, status, content_type, body, etag)
        response = view(request, *args, **kwargs)
        if response.status_code != 200 or response.streaming:
            return response
        body = response.content
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        content_type = response["Content-Type"]
        entry = (version, response.status_code, content_type, body, etag)
        cache.set(page_key, entry, settings.CATALOG_CACHE_SECONDS)
        return _respond(request, response.status_code, content_type, body, etag)

    return wrapper

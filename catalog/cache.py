"""Public catalog pages from a cache, invalidated by a per-tenant version.

Every service that changes what learners see calls `catalog_changed(tenant_id)`: it writes a new
version token to Redis (at once and again after commit), so the next request renders afresh.

Two layers (core.cache.VersionedCache): Redis, shared by every process, and a small copy in
each process that checks the tenant's version in Redis at most once a second. So a change shows
on the next request in the process that made it and within about a second everywhere else, and a
repeat visit costs no network round trip. Entries expire after CATALOG_CACHE_SECONDS in both
layers, which bounds how late a time-driven change (enrollment opening at 9:00) can show.

Signed-in learners share the same cached page: it is always the anonymous rendering, and its
personal parts are marked in the templates (`<!--mc:personal:NAME-->…<!--/mc:personal:NAME-->`):
the header's menu (`nav`: My learning, the staff console link, Sign out with its CSRF token) and
an offering's enroll panel (`panel:<offering id>:<availability>`: where the learner stands, Pay
now), and its "notify me" (`notify:<offering id>:<why>`: a link for everyone, one button signed
in). For a signed-in request each marked part is rendered for that person alone and spliced in;
the rest is the shared page, byte for byte. The answer is private and never stored. A request
with a message waiting (a "messages" cookie, or messages kept in the session) is rendered in full.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import HttpResponse, HttpResponseNotModified
from django.template import RequestContext, Template
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.cache import patch_cache_control, patch_vary_headers

from catalog import hooks
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
    # A search that found nothing: its words, told to catalog.hooks on every answer from this page.
    found_nothing: str = ""


# A catalog view sets this attribute on its response when the search it answers found nothing.
FOUND_NOTHING = "catalog_found_nothing"


def _tell_found_nothing(request: TenantRequest, text: str) -> None:
    if text:
        hooks.search_found_nothing_tell(request.tenant.pk, text)


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


def _shareable(request: TenantRequest) -> bool:
    """A signed-in request that may be answered from the shared page with its parts filled in."""
    return (
        settings.CATALOG_CACHE_SECONDS > 0
        and request.method in ("GET", "HEAD")
        and "messages" not in request.COOKIES
        and request.user.is_authenticated
        and not request.session.get("_messages")
    )


PERSONAL = re.compile(
    r"<!--mc:personal:(?P<name>nav|(?P<part>panel|notify):(?P<offering>\d{1,18}):(?P<kind>[a-z_]{1,20}))-->"
    r".*?<!--/mc:personal:(?:nav|panel|notify)-->",
    re.DOTALL,
)
_PANEL = Template("{% load enrollment %}{% enroll_panel offering_id kind %}")
# "Notify me" (the demand app's tag): a link for everyone in the shared page, one button signed in.
_NOTIFY = Template("{% load demand %}{% notify_me_panel offering_id kind %}")


def personalize(request: TenantRequest, body: str) -> str:
    """The shared page with each personal part rendered for this request's person."""

    def fill(match: re.Match[str]) -> str:
        name = match.group("name")
        if name == "nav":
            inner = render_to_string("_site_nav.html", request=request)
        else:
            # The marker is the cached page's own, written with the offering's key and state.
            offering_id, kind = int(match.group("offering")), match.group("kind")
            context = RequestContext(request, {"offering_id": offering_id, "kind": kind})
            inner = (_PANEL if match.group("part") == "panel" else _NOTIFY).render(context)
        end = "nav" if name == "nav" else match.group("part")
        return f"<!--mc:personal:{name}-->{inner}<!--/mc:personal:{end}-->"

    return PERSONAL.sub(fill, body)


def _anonymous_render(view: View, request: TenantRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """The view as an anonymous visitor gets it (what the shared cache keeps)."""
    user = request.user
    request.user = AnonymousUser()
    try:
        return view(request, *args, **kwargs)
    finally:
        request.user = user


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
        shared = _shareable(request)
        if not shared and not _cacheable(request):
            response = view(request, *args, **kwargs)
            _tell_found_nothing(request, getattr(response, FOUND_NOTHING, ""))
            if request.user.is_authenticated:
                patch_cache_control(response, private=True, no_cache=True)
            return response
        page_key = _page_key(request)
        seconds = settings.CATALOG_CACHE_SECONDS
        try:
            version, stored = pages.lookup(request.tenant.pk, page_key, max_age=seconds)
        except Exception:  # Redis down or an unreadable entry: render, the page must still work
            logger.exception("catalog page cache lookup failed")
            response = view(request, *args, **kwargs)
            _tell_found_nothing(request, getattr(response, FOUND_NOTHING, ""))
            if shared:
                patch_cache_control(response, private=True, no_cache=True)
            return response
        if stored is not None:
            _tell_found_nothing(request, stored.value.found_nothing)
            return _personal(request, stored.value) if shared else _respond(request, stored.value)
        response = (
            _anonymous_render(view, request, *args, **kwargs) if shared else view(request, *args, **kwargs)
        )
        if response.status_code != 200 or response.streaming:
            if shared:  # a 404 and the like: the person's own rendering
                response = view(request, *args, **kwargs)
                patch_cache_control(response, private=True, no_cache=True)
            return response
        body = response.content
        page = Page(
            content_type=response["Content-Type"],
            body=body,
            etag='"' + hashlib.sha256(body).hexdigest()[:32] + '"',
            found_nothing=getattr(response, FOUND_NOTHING, ""),
        )
        _tell_found_nothing(request, page.found_nothing)
        pages.store(page_key, version, page, timeout=seconds)
        return _personal(request, page) if shared else _respond(request, page)

    return wrapper


def _personal(request: TenantRequest, entry: Page) -> HttpResponse:
    body = personalize(request, entry.body.decode("utf-8"))
    response = HttpResponse(body, content_type=entry.content_type)
    patch_cache_control(response, private=True, no_cache=True)
    patch_vary_headers(response, ["Cookie", "Accept-Language"])
    return response

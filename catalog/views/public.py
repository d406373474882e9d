"""Learners' pages: the tenant's catalog, a unit's catalog under its brand, an offering."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import render
from django.utils.functional import cached_property

from catalog import presenters, selectors
from catalog.cache import FOUND_NOTHING, cached_public_page
from catalog.forms import CatalogFilterForm
from catalog.models import Offering
from core.errors import NotFound
from tenants.brand import Brand
from tenants.http import TenantRequest
from tenants.models import Unit
from tenants.selectors import public_unit

PAGE_SIZE = 12


class CappedPaginator(Paginator):  # type: ignore[type-arg]
    """Pages over a count the selector already made, capped at COUNT_CAP + 1 rows: nobody pages
    past the thousandth result when a search or filter narrows it faster."""

    def __init__(self, object_list: Any, per_page: int, *, count: int) -> None:
        super().__init__(object_list, per_page)
        self._known_count = count

    @cached_property
    def count(self) -> int:
        return self._known_count

    @property
    def capped(self) -> bool:
        return self.count > selectors.COUNT_CAP

    @property
    def cap(self) -> int:
        return selectors.COUNT_CAP


class _Listing:
    """What the paginator slices: a page's offerings fetched by `selectors.offerings_slice`."""

    def __init__(self, offerings: QuerySet[Offering]) -> None:
        self.offerings = offerings

    def __getitem__(self, page: slice) -> list[Offering]:
        return selectors.offerings_slice(self.offerings, page.start or 0, page.stop)


def _listing(request: TenantRequest, *, unit: Unit | None) -> dict[str, Any]:
    tenant = request.tenant
    units = list(selectors.catalog_units(tenant=tenant)) if unit is None else None
    form = CatalogFilterForm(request.GET or None, tenant=tenant, units=units)
    query = form.to_query()
    results = selectors.catalog_search(tenant=tenant, query=query, unit=unit)
    page: Page[Any] = CappedPaginator(_Listing(results.offerings), PAGE_SIZE, count=results.count).get_page(
        request.GET.get("page")
    )
    # Page links carry the search and filters only (not tracking parameters): the page depends on
    # nothing else, which is also what the cache key is made of.
    params = QueryDict(mutable=True)
    for name in CatalogFilterForm.base_fields:
        if name in request.GET:
            params.setlist(name, request.GET.getlist(name))
    return {
        "form": form,
        "query": query,
        "fuzzy": results.fuzzy,
        "page": page,
        "cards": presenters.offering_cards(list(page.object_list), tz=ZoneInfo(tenant.time_zone)),
        "params": params.urlencode(),
        "unit_cards": [(u, Brand.of_unit(u)) for u in units] if units else [],
        "searched": bool(query.text or form.filters_used),
        # Words that found nothing (not even a close spelling): demand for what is not offered.
        "found_nothing": query.text.strip() if results.count == 0 else "",
    }


def _listing_page(request: TenantRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    response = render(request, template, context)
    setattr(response, FOUND_NOTHING, context["found_nothing"])
    return response


@cached_public_page
def home(request: TenantRequest) -> HttpResponse:
    return _listing_page(request, "catalog/home.html", _listing(request, unit=None))


@cached_public_page
def unit_home(request: TenantRequest, slug: str) -> HttpResponse:
    try:
        unit = public_unit(tenant=request.tenant, slug=slug)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    context = _listing(request, unit=unit)
    context.update({"unit": unit, "brand": Brand.of_unit(unit)})
    return _listing_page(request, "catalog/unit_home.html", context)


TAKING_SEATS = ("open", "few")


def _notify_me(kind: str, others: list[presenters.OfferingCard]) -> str:
    """Which "notify me" the page offers (the link to its own page, the same for everyone, so
    the cached page stays shared): a full run without a wait-list, one not open yet, or a closed
    one when no other run takes enrollments. Empty: none."""
    if kind in ("full", "upcoming"):
        return kind
    if kind == "closed" and not any(o.availability.kind in TAKING_SEATS for o in others):
        return kind
    return ""


@cached_public_page
def offering_detail(request: TenantRequest, pk: int) -> HttpResponse:
    try:
        offering = selectors.offering_public_detail(tenant=request.tenant, offering_id=pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    page = presenters.offering_page(offering)
    others = selectors.other_cohorts(tenant=request.tenant, offering=offering)[:4]
    other_cards = presenters.offering_cards(list(others), tz=offering.tz)
    context = {
        "offering": offering,
        "microcredential": offering.microcredential,
        "unit": offering.microcredential.unit,
        "page": page,
        "card": page.card,
        "brand": page.card.brand,
        "other_cards": other_cards,
        "notify_me": _notify_me(page.card.availability.kind, other_cards),
    }
    return render(request, "catalog/offering.html", context)

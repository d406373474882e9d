"""Which brand the sign-in pages and the sign-in e-mails wear: the unit's when the learner came
from a unit's page (`?unit=<slug>` on the way in, remembered in the session), else the tenant's."""

from __future__ import annotations

from django.http import HttpRequest

from core.errors import NotFound
from tenants.brand import Brand
from tenants.models import Tenant, Unit
from tenants.selectors import public_unit

SESSION_UNIT_KEY = "microcred_signin_unit"


def remember_unit_origin(request: HttpRequest, tenant: Tenant, slug: str | None) -> Unit | None:
    """Remember the unit named in the sign-in link (or forget it when the link names none)."""
    unit = None
    if slug:
        try:
            unit = public_unit(tenant=tenant, slug=slug)
        except NotFound:
            unit = None
    if unit is not None:
        request.session[SESSION_UNIT_KEY] = unit.slug
    else:
        request.session.pop(SESSION_UNIT_KEY, None)
    return unit


def unit_origin(request: HttpRequest, tenant: Tenant) -> Unit | None:
    slug = request.session.get(SESSION_UNIT_KEY) if hasattr(request, "session") else None
    if not slug:
        return None
    try:
        return public_unit(tenant=tenant, slug=slug)
    except NotFound:
        return None


def brand_for(tenant: Tenant, unit: Unit | None) -> Brand:
    return Brand.of_unit(unit) if unit is not None else Brand.of_tenant(tenant)

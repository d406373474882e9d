from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from learners.branding import brand_for, unit_origin


def sign_in_brand(request: HttpRequest) -> dict[str, Any]:
    """On the sign-in pages (/accounts/...), wear the brand of the unit the learner came from."""
    tenant = getattr(request, "tenant", None)
    if tenant is None or not request.path.startswith("/accounts/"):
        return {}
    unit = unit_origin(request, tenant)
    if unit is None:
        return {}
    return {"brand": brand_for(tenant, unit), "origin_unit": unit}

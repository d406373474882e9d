from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from tenants.brand import Brand
from tenants.selectors import staff_access


def tenant(request: HttpRequest) -> dict[str, Any]:
    current = getattr(request, "tenant", None)
    if current is None:
        return {}
    return {
        "tenant": current,
        "brand": Brand.of_tenant(current),
        # Only queried when a template asks (the header shows the console link to staff only).
        "staff_access": SimpleLazyObject(
            lambda: staff_access(tenant=current, user=getattr(request, "user", None))
        ),
    }

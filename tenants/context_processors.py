from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from tenants.brand import Brand


def tenant(request: HttpRequest) -> dict[str, Any]:
    current = getattr(request, "tenant", None)
    if current is None:
        return {}
    return {"tenant": current, "brand": Brand.of_tenant(current)}

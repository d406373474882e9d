"""Request types as our views see them: the tenant middleware has run."""

from __future__ import annotations

from django.http import HttpRequest

from identity.models import User
from tenants.models import Tenant


class TenantRequest(HttpRequest):
    """A request on a tenant's host (set by tenants.middleware.TenantMiddleware)."""

    tenant: Tenant


class StaffRequest(TenantRequest):
    """A tenant request from a signed-in person (after login_required)."""

    user: User

"""Reads for the credentials pages and API."""

from __future__ import annotations

from django.db.models import QuerySet

from credentials.models import Credential
from tenants.models import Tenant, Unit
from tenants.selectors import StaffAccess


def public_unit(*, tenant: Tenant, slug: str) -> Unit | None:
    return Unit.objects.filter(tenant=tenant, slug=slug).select_related("tenant").first()


def credentials_for_staff(
    *, tenant: Tenant, access: StaffAccess, unit_id: int | None = None
) -> QuerySet[Credential]:
    """Credentials of the units the person manages (a tenant admin: every unit)."""
    rows = Credential.objects.filter(tenant=tenant).select_related("unit", "learner", "microcredential")
    if access.managed_unit_ids is not None:
        rows = rows.filter(unit_id__in=access.managed_unit_ids)
    if unit_id is not None:
        rows = rows.filter(unit_id=unit_id)
    return rows.order_by("-issued_at", "-pk")

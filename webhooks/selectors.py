"""Reads of webhooks: the endpoints staff may manage, an endpoint's recent deliveries."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from tenants.models import Tenant
from tenants.selectors import StaffAccess
from webhooks.models import Delivery, DeliveryStatus, Endpoint


def endpoints_for_staff(*, tenant: Tenant, access: StaffAccess) -> QuerySet[Endpoint]:
    """Tenant admins: every endpoint; unit admins: their units' (a tenant-wide endpoint hears of
    every unit, so only tenant admins see it)."""
    if access.tenant_id != tenant.pk or not access.manages_any_unit:
        return Endpoint.objects.none()
    rows = Endpoint.objects.filter(tenant=tenant).select_related("unit").order_by("pk")
    if access.managed_unit_ids is not None:
        rows = rows.filter(unit_id__in=sorted(access.managed_unit_ids))
    return rows


def endpoints_with_counts(*, tenant: Tenant, access: StaffAccess) -> QuerySet[Endpoint]:
    """As endpoints_for_staff, each with `pending` and `failed`: its deliveries in those states."""
    return endpoints_for_staff(tenant=tenant, access=access).annotate(
        pending=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.PENDING)),
        failed=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.FAILED)),
    )


def endpoint_for_staff(*, tenant: Tenant, access: StaffAccess, endpoint_id: int) -> Endpoint | None:
    return endpoints_for_staff(tenant=tenant, access=access).filter(pk=endpoint_id).first()


def deliveries_of(*, tenant: Tenant, endpoint: Endpoint) -> QuerySet[Delivery]:
    """Newest first."""
    return Delivery.objects.filter(tenant=tenant, endpoint=endpoint).order_by("-pk")

"""Reads on tenant data. Every one takes the tenant and filters by it."""

from __future__ import annotations

from dataclasses import dataclass

from allauth.mfa.models import Authenticator
from django.db.models import QuerySet
from django.http.request import split_domain_port
from django.utils import timezone

from identity.models import User
from tenants.errors import NotVisible
from tenants.models import (
    ApiToken,
    Domain,
    SocialProvider,
    StaffInvitation,
    StaffMembership,
    StaffRole,
    Tenant,
    Unit,
)


def tenant_for_host(host: str) -> Tenant | None:
    """The active tenant answering on `host` (port ignored), or None."""
    name, _port = split_domain_port(host)
    if not name:
        return None
    domain = Domain.objects.select_related("tenant").filter(host=name, tenant__is_active=True).first()
    return domain.tenant if domain else None


@dataclass(frozen=True)
class StaffAccess:
    """What one person may reach in one tenant. `unit_ids` None means every unit."""

    tenant_id: int
    roles: frozenset[str]
    unit_ids: frozenset[int] | None
    # Units whose catalog, rosters and refunds the person runs: a tenant admin every unit (None),
    # a unit admin their units. Finance reads units but runs none of them.
    managed_unit_ids: frozenset[int] | None = frozenset()

    @property
    def is_staff(self) -> bool:
        return bool(self.roles)

    @property
    def is_tenant_admin(self) -> bool:
        return StaffRole.TENANT_ADMIN in self.roles

    @property
    def is_finance(self) -> bool:
        return StaffRole.FINANCE in self.roles

    def reaches_unit(self, unit: Unit) -> bool:
        return unit.tenant_id == self.tenant_id and (self.unit_ids is None or unit.pk in self.unit_ids)

    @property
    def manages_any_unit(self) -> bool:
        return self.managed_unit_ids is None or bool(self.managed_unit_ids)

    def manages_unit(self, unit: Unit) -> bool:
        return unit.tenant_id == self.tenant_id and (
            self.managed_unit_ids is None or unit.pk in self.managed_unit_ids
        )


NO_ACCESS_UNITS: frozenset[int] = frozenset()


def staff_access(*, tenant: Tenant, user: User | None) -> StaffAccess:
    if user is None or not user.is_authenticated:
        return StaffAccess(tenant_id=tenant.pk, roles=frozenset(), unit_ids=NO_ACCESS_UNITS)
    memberships = list(StaffMembership.objects.filter(tenant=tenant, user=user).prefetch_related("units"))
    roles = frozenset(m.role for m in memberships)
    everything = any(m.role == StaffRole.TENANT_ADMIN or m.all_units for m in memberships)
    unit_ids = None if everything else frozenset(u.pk for m in memberships for u in m.units.all())
    managed = (
        None
        if StaffRole.TENANT_ADMIN in roles
        else frozenset(u.pk for m in memberships if m.role == StaffRole.UNIT_ADMIN for u in m.units.all())
    )
    return StaffAccess(tenant_id=tenant.pk, roles=roles, unit_ids=unit_ids, managed_unit_ids=managed)


def units_for_staff(*, tenant: Tenant, access: StaffAccess) -> QuerySet[Unit]:
    units = Unit.objects.filter(tenant=tenant).select_related("tenant")
    if access.unit_ids is None:
        return units
    return units.filter(pk__in=access.unit_ids)


def units_managed(*, tenant: Tenant, access: StaffAccess) -> QuerySet[Unit]:
    """The units whose offerings the person runs (tenant admin: all; unit admin: theirs)."""
    units = Unit.objects.filter(tenant=tenant).select_related("tenant")
    if access.tenant_id != tenant.pk:
        return units.none()
    if access.managed_unit_ids is None:
        return units
    return units.filter(pk__in=access.managed_unit_ids)


def unit_for_staff(*, tenant: Tenant, access: StaffAccess, slug: str) -> Unit:
    unit = units_for_staff(tenant=tenant, access=access).filter(slug=slug).first()
    if unit is None:
        raise NotVisible("No such unit.")
    return unit


def public_units(*, tenant: Tenant) -> QuerySet[Unit]:
    return Unit.objects.filter(tenant=tenant, is_active=True).select_related("tenant")


def public_unit(*, tenant: Tenant, slug: str) -> Unit:
    unit = public_units(tenant=tenant).filter(slug=slug).first()
    if unit is None:
        raise NotVisible("No such unit.")
    return unit


def memberships_for_tenant(*, tenant: Tenant) -> QuerySet[StaffMembership]:
    return (
        StaffMembership.objects.filter(tenant=tenant)
        .select_related("user")
        .prefetch_related("units")
        .order_by("user__email", "role")
    )


def pending_invitations(*, tenant: Tenant) -> QuerySet[StaffInvitation]:
    return (
        StaffInvitation.objects.filter(
            tenant=tenant, accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
        )
        .select_related("invited_by")
        .prefetch_related("units")
    )


def invitation_for_token(*, tenant: Tenant, token: str) -> StaffInvitation:
    invitation = StaffInvitation.objects.filter(tenant=tenant, token=token).first()
    if invitation is None:
        raise NotVisible("No such invitation.")
    return invitation


def staff_access_for_token(*, tenant: Tenant, token: ApiToken) -> StaffAccess:
    """What an API token reaches: its own role only, with that role's units, in its own tenant."""
    if token.tenant_id != tenant.pk:
        return StaffAccess(tenant_id=tenant.pk, roles=frozenset(), unit_ids=NO_ACCESS_UNITS)
    membership = (
        StaffMembership.objects.filter(tenant=tenant, user_id=token.user_id, role=token.role)
        .prefetch_related("units")
        .first()
    )
    if membership is None:
        return StaffAccess(tenant_id=tenant.pk, roles=frozenset(), unit_ids=NO_ACCESS_UNITS)
    everything = membership.role == StaffRole.TENANT_ADMIN or membership.all_units
    unit_ids = None if everything else frozenset(u.pk for u in membership.units.all())
    managed: frozenset[int] | None = frozenset()
    if membership.role == StaffRole.TENANT_ADMIN:
        managed = None
    elif membership.role == StaffRole.UNIT_ADMIN:
        managed = unit_ids
    return StaffAccess(
        tenant_id=tenant.pk, roles=frozenset([membership.role]), unit_ids=unit_ids, managed_unit_ids=managed
    )


def mfa_setup_required(*, access: StaffAccess, user: User) -> bool:
    """Tenant admins and finance must have an authenticator app before they reach staff pages."""
    if not (access.is_tenant_admin or access.is_finance):
        return False
    return not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def api_tokens_for(*, tenant: Tenant, user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(tenant=tenant, user=user).order_by("revoked_at", "-created_at")


def social_providers(*, tenant: Tenant) -> QuerySet[SocialProvider]:
    return SocialProvider.objects.filter(tenant=tenant).order_by("kind")


def primary_host(tenant_id: int) -> str | None:
    """The tenant's primary host name, or None when it has none."""
    return Domain.objects.filter(tenant_id=tenant_id, is_primary=True).values_list("host", flat=True).first()

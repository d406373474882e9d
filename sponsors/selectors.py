"""Reads of sponsors: employers staff can reach, pools with their seat counts, a contact's pools."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from identity.models import User
from sponsors.models import Employer, EmployerContact, PoolSeat, SeatPool
from tenants.models import Tenant
from tenants.selectors import StaffAccess


def employers_for_staff(*, tenant: Tenant, access: StaffAccess) -> QuerySet[Employer]:
    """Tenant admins: every employer; unit staff: their units' employers and the tenant-wide ones."""
    if access.tenant_id != tenant.pk or not access.manages_any_unit:
        return Employer.objects.none()
    rows = Employer.objects.filter(tenant=tenant).select_related("unit").order_by("organisation", "pk")
    if access.managed_unit_ids is not None:
        rows = rows.filter(Q(unit__isnull=True) | Q(unit_id__in=sorted(access.managed_unit_ids)))
    return rows


def employer_for_staff(*, tenant: Tenant, access: StaffAccess, employer_id: int) -> Employer | None:
    return employers_for_staff(tenant=tenant, access=access).filter(pk=employer_id).first()


@dataclass(frozen=True)
class PoolRow:
    pool: SeatPool
    redeemed: int

    @property
    def remaining(self) -> int:
        return self.pool.seats - self.redeemed


def _rows(pools: QuerySet[SeatPool]) -> list[PoolRow]:
    annotated = pools.select_related("offering__microcredential", "employer").annotate(
        redeemed=Count("pool_seats", filter=Q(pool_seats__redeemed_at__isnull=False))
    )
    return [PoolRow(pool=p, redeemed=p.redeemed) for p in annotated.order_by("-created_at", "-pk")[:200]]


def pools_of_employer(*, tenant: Tenant, employer: Employer) -> list[PoolRow]:
    return _rows(SeatPool.objects.filter(tenant=tenant, employer=employer))


def employers_of_contact(*, tenant: Tenant, user: User) -> QuerySet[Employer]:
    return Employer.objects.filter(
        tenant=tenant, pk__in=EmployerContact.objects.filter(tenant=tenant, user=user).values("employer")
    ).order_by("organisation")


def pools_for_contact(*, tenant: Tenant, user: User) -> list[PoolRow]:
    return _rows(
        SeatPool.objects.filter(tenant=tenant, employer__in=employers_of_contact(tenant=tenant, user=user))
    )


def pool_for_contact(*, tenant: Tenant, user: User, pool_id: int) -> SeatPool | None:
    return (
        SeatPool.objects.filter(
            tenant=tenant, pk=pool_id, employer__in=employers_of_contact(tenant=tenant, user=user)
        )
        .select_related("offering__microcredential", "employer")
        .first()
    )


def pool_codes(*, pool: SeatPool) -> QuerySet[PoolSeat]:
    return PoolSeat.objects.filter(pool=pool).order_by("pk")

"""Reads of sponsors: employers staff can reach, pools with their seat counts, a contact's pools."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q, QuerySet

from enrollment.models import CompletionRecord
from enrollment.presenters import completion_text, status_label
from enrollment.selectors import current_completion
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


@dataclass(frozen=True)
class LearnerRow:
    """A redeemed seat whose learner shares their progress with the employer."""

    seat: PoolSeat
    name: str
    email: str
    status: str
    completion: str
    completed_on: str


@dataclass(frozen=True)
class PoolLearners:
    sharing: list[LearnerRow]
    not_sharing: int  # redeemed seats whose learner has not agreed: counted, never shown
    free: int
    expired: int


def pool_learners(*, pool: SeatPool) -> PoolLearners:
    """Who took the pool's seats, as its employer may see it: only the learners who agreed."""
    seats = list(
        PoolSeat.objects.filter(pool=pool)
        .select_related("enrollment__learner")
        .prefetch_related(
            Prefetch("enrollment__completions", queryset=CompletionRecord.objects.order_by("pk"))
        )
        .order_by("redeemed_at", "pk")
    )
    sharing: list[LearnerRow] = []
    hidden = free = expired = 0
    for seat in seats:
        if seat.enrollment is None:
            if seat.expired_at is not None:
                expired += 1
            else:
                free += 1
            continue
        if not seat.shares_progress:
            hidden += 1
            continue
        enrollment = seat.enrollment
        record = current_completion(enrollment)
        sharing.append(
            LearnerRow(
                seat=seat,
                name=enrollment.learner.full_name,
                email=enrollment.learner.email,
                status=status_label(enrollment),
                completion=completion_text(record),
                completed_on=record.completed_on.isoformat()
                if record is not None and record.is_completed
                else "",
            )
        )
    return PoolLearners(sharing=sharing, not_sharing=hidden, free=free, expired=expired)

"""Reads on enrollments. Each takes the tenant and filters by it; staff reads also take the
person's StaffAccess (another unit's offering is a 404)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Case, Count, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery, Value, When

from catalog import selectors as catalog_selectors
from catalog.models import Offering
from enrollment.models import ACTIVE_STATES, CompletionRecord, Enrollment, EnrollmentEvent, EnrollmentStatus
from identity.models import User
from tenants.errors import NotVisible
from tenants.models import Tenant
from tenants.selectors import StaffAccess

S = EnrollmentStatus


def _with_position(rows: QuerySet[Enrollment]) -> QuerySet[Enrollment]:
    """`position`: 1 for the head of the wait-list (None unless waiting), in one query."""
    ahead = (
        Enrollment.objects.filter(
            offering_id=OuterRef("offering_id"), status=S.WAITLISTED, arrival__lte=OuterRef("arrival")
        )
        .order_by()
        .values("offering_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return rows.annotate(
        position=Case(
            When(status=S.WAITLISTED, then=Subquery(ahead, output_field=IntegerField())),
            default=Value(None),
            output_field=IntegerField(),
        )
    )


def enrollments_for_learner(*, tenant: Tenant, learner: User) -> QuerySet[Enrollment]:
    """The learner's enrollments at this tenant: active ones first, soonest start first."""
    return (
        _with_position(Enrollment.objects.filter(tenant=tenant, learner=learner))
        .select_related("offering__microcredential__unit__tenant")
        .prefetch_related("completions")
        .annotate(
            active_first=Case(
                When(status__in=sorted(ACTIVE_STATES), then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("active_first", "offering__starts_at", "-created_at")
    )


def enrollment_for_learner(*, tenant: Tenant, learner: User, enrollment_id: int) -> Enrollment:
    found = enrollments_for_learner(tenant=tenant, learner=learner).filter(pk=enrollment_id).first()
    if found is None:
        raise NotVisible("No such enrollment.")
    return found


def enrollment_by_id(*, tenant: Tenant, enrollment_id: int) -> Enrollment:
    """For the e-mailed offer link, whose signature already names the enrollment."""
    found = (
        _with_position(Enrollment.objects.filter(tenant=tenant, pk=enrollment_id))
        .select_related("offering__microcredential__unit__tenant", "learner")
        .first()
    )
    if found is None:
        raise NotVisible("No such enrollment.")
    return found


def active_enrollment(*, tenant: Tenant, learner: User, offering_id: int) -> Enrollment | None:
    """The learner's seat or place on one offering, if any (its wait-list place:
    `waitlist_position`, a query only for those waiting)."""
    return (
        Enrollment.objects.filter(
            tenant=tenant, learner=learner, offering_id=offering_id, status__in=sorted(ACTIVE_STATES)
        )
        .select_related("offering")
        .first()
    )


# --- Staff ---------------------------------------------------------------------------------

ROSTER_ORDER = {
    S.CONFIRMED: 0,
    S.COMPLETED: 1,
    S.HELD: 2,
    S.OFFERED: 3,
    S.WAITLISTED: 4,
    S.CANCELLED: 5,
    S.EXPIRED: 6,
}


@dataclass
class Roster:
    offering: Offering
    groups: dict[str, list[Enrollment]] = field(default_factory=dict)
    query: str = ""

    def count(self, status: str) -> int:
        return len(self.groups.get(status, []))

    @property
    def seats_used(self) -> int:
        # The offering's own count, as every other page shows it: a searched roster holds only
        # the rows that matched.
        return catalog_selectors.offering_seats(self.offering).taken

    @property
    def rows(self) -> list[Enrollment]:
        return [e for status in ROSTER_ORDER for e in self.groups.get(status, [])]


def offering_for_roster(*, tenant: Tenant, access: StaffAccess, offering_id: int) -> Offering:
    return catalog_selectors.offering_for_staff(tenant=tenant, access=access, offering_id=offering_id)


def roster_rows(*, tenant: Tenant, offering: Offering, query: str = "") -> QuerySet[Enrollment]:
    rows = (
        _with_position(Enrollment.objects.filter(tenant=tenant, offering=offering))
        .select_related("learner")
        .prefetch_related(
            Prefetch(
                "events",
                queryset=EnrollmentEvent.objects.select_related("actor").order_by("at", "pk"),
            ),
            Prefetch("completions", queryset=CompletionRecord.objects.order_by("pk")),
        )
        .order_by("arrival")
    )
    query = query.strip()
    if query:
        rows = rows.filter(
            Q(learner__email__icontains=query)
            | Q(learner__full_name__icontains=query)
            | Q(learner__preferred_name__icontains=query)
        )
    return rows


def roster(*, tenant: Tenant, access: StaffAccess, offering_id: int, query: str = "") -> Roster:
    """Everyone in one offering, grouped by state; the wait-list in its order."""
    offering = offering_for_roster(tenant=tenant, access=access, offering_id=offering_id)
    found = Roster(offering=offering, query=query.strip())
    for enrollment in roster_rows(tenant=tenant, offering=offering, query=query):
        found.groups.setdefault(enrollment.status, []).append(enrollment)
    return found


def move_targets(*, tenant: Tenant, access: StaffAccess, offering: Offering) -> QuerySet[Offering]:
    """Other offerings of the same microcredential a learner can be moved to."""
    return (
        catalog_selectors.offerings_for_staff(tenant=tenant, access=access)
        .filter(microcredential_id=offering.microcredential_id)
        .exclude(pk=offering.pk)
        .exclude(status="archived")
        .order_by("starts_at", "pk")
    )


def offerings_with_counts(*, tenant: Tenant, access: StaffAccess) -> QuerySet[Offering]:
    """The staff member's offerings with how many are confirmed, held, offered and waiting."""

    def counted(status: str) -> Count:
        return Count("enrollments", filter=Q(enrollments__status=status))

    return catalog_selectors.offerings_for_staff(tenant=tenant, access=access).annotate(
        confirmed=counted(S.CONFIRMED),
        held=counted(S.HELD),
        offered=counted(S.OFFERED),
        waitlisted=counted(S.WAITLISTED),
    )


def current_completion(enrollment: Enrollment) -> CompletionRecord | None:
    """The completion record that holds now (the newest); uses a prefetch of `completions`
    ordered by pk when there is one (roster_rows, enrollments_for_learner)."""
    records = list(enrollment.completions.all())
    if not records:
        return None
    return max(records, key=lambda r: r.pk)


def waitlist_position(enrollment: Enrollment) -> int | None:
    """1 for the head of the wait-list; None when not waiting."""
    if enrollment.status != EnrollmentStatus.WAITLISTED:
        return None
    return Enrollment.objects.filter(
        offering_id=enrollment.offering_id,
        status=EnrollmentStatus.WAITLISTED,
        arrival__lte=enrollment.arrival,
    ).count()

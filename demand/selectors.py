"""Demand's reads: offerings with a seat to take, interests due an e-mail, the console's figures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import (
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    Max,
    Min,
    Model,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.expressions import CombinedExpression
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from catalog.models import Microcredential, Offering, PublicationStatus
from catalog.selectors import microcredentials_for_staff
from demand.models import CLAIM_TIMEOUT, Interest, SearchMiss
from enrollment.models import WaitlistCount
from tenants.models import Tenant
from tenants.selectors import StaffAccess

PUBLISHED = PublicationStatus.PUBLISHED


def _public(tenant_filter: Q) -> QuerySet[Offering]:
    return Offering.objects.filter(
        tenant_filter,
        status=PUBLISHED,
        microcredential__status=PUBLISHED,
        microcredential__unit__is_active=True,
    )


def offering_for_signup(*, tenant: Tenant, offering_id: int) -> Offering | None:
    """An offering learners can see (its page exists), with its microcredential and unit."""
    return (
        _public(Q(tenant=tenant))
        .select_related("microcredential__unit__tenant")
        .filter(pk=offering_id)
        .first()
    )


def _taking_seats(offerings: QuerySet[Offering], now: datetime) -> QuerySet[Offering]:
    """Enrollment open now and a seat left (a freed seat of a run with a wait-list is offered to
    the list, and stays taken: seats_taken counts offers)."""
    return offerings.filter(
        enrollment_opens_at__lte=now, enrollment_closes_at__gt=now, seats_taken__lt=F("capacity")
    )


def open_offering_for(
    *, tenant: Tenant, microcredential_id: int, now: datetime | None = None
) -> Offering | None:
    """The run to point a person to: the soonest-starting one taking enrollments with a seat left."""
    now = now or timezone.now()
    return (
        _taking_seats(_public(Q(tenant=tenant)), now)
        .filter(microcredential_id=microcredential_id)
        .order_by("starts_at", "pk")
        .first()
    )


def interests_due(
    *, now: datetime | None = None, limit: int = 500, offering_id: int | None = None
) -> list[int]:
    """Waiting interests (not being told right now) whose microcredential has a seat to take;
    given an offering, only those of its microcredential."""
    now = now or timezone.now()
    seat = _taking_seats(_public(Q(tenant_id=OuterRef("tenant_id"))), now).filter(
        microcredential_id=OuterRef("microcredential_id")
    )
    rows = (
        Interest.objects.filter(notified_at__isnull=True)
        .filter(Q(notify_claimed_at__isnull=True) | Q(notify_claimed_at__lt=now - CLAIM_TIMEOUT))
        .filter(Exists(seat))
        .order_by("created_at", "pk")
    )
    if offering_id is not None:
        rows = rows.filter(microcredential__offerings__pk=offering_id)
    return list(rows.values_list("pk", flat=True)[:limit])


# --- The console ------------------------------------------------------------------------------

SEARCH_DAYS = 30


def _fill_time() -> ExpressionWrapper[CombinedExpression]:
    """From when learners could first enroll (published, and enrollment open) to the last seat."""
    return ExpressionWrapper(
        F("filled_at") - Greatest("published_at", "enrollment_opens_at"), output_field=DurationField()
    )


@dataclass(frozen=True)
class MicrocredentialDemand:
    microcredential: Microcredential
    waiting: int
    notified: int
    waitlist_depth: int
    fastest_fill: timedelta | None


@dataclass(frozen=True)
class FilledRun:
    offering: Offering
    fill_time: timedelta


def _annotated(row: Model, name: str) -> Any:
    return row.__dict__[name]  # a queryset annotation: set on the instance, unknown to the model


def demand_rows(
    *, tenant: Tenant, access: StaffAccess, limit: int | None = None
) -> list[MicrocredentialDemand]:
    rows = demand_by_microcredential(tenant=tenant, access=access)
    return [
        MicrocredentialDemand(
            m,
            _annotated(m, "waiting"),
            _annotated(m, "notified"),
            _annotated(m, "waitlist_depth"),
            _annotated(m, "fastest_fill"),
        )
        for m in (rows[:limit] if limit else rows)
    ]


def filled_runs(*, tenant: Tenant, access: StaffAccess, limit: int | None = None) -> list[FilledRun]:
    rows = fastest_filled_offerings(tenant=tenant, access=access)
    return [FilledRun(o, _annotated(o, "fill_time")) for o in (rows[:limit] if limit else rows)]


def demand_by_microcredential(
    *, tenant: Tenant, access: StaffAccess, now: datetime | None = None
) -> QuerySet[Microcredential]:
    """The person's microcredentials (tenant admins: all) with `waiting` and `notified`
    interests, `waitlist_depth` (people waiting on its runs still taking enrollments) and
    `fastest_fill` (the quickest any of its runs filled, or None). Most wanted first."""
    now = now or timezone.now()
    interests = Interest.objects.filter(tenant=tenant, microcredential=OuterRef("pk")).order_by()
    waiting = interests.filter(notified_at__isnull=True).values("microcredential").annotate(n=Count("pk"))
    notified = interests.filter(notified_at__isnull=False).values("microcredential").annotate(n=Count("pk"))
    depth = (
        WaitlistCount.objects.filter(
            tenant=tenant,
            offering__microcredential=OuterRef("pk"),
            offering__status=PUBLISHED,
            offering__enrollment_closes_at__gt=now,
        )
        .order_by()
        .values("offering__microcredential")
        .annotate(n=Sum("waiting"))
    )
    fastest = (
        Offering.objects.filter(tenant=tenant, microcredential=OuterRef("pk"), filled_at__isnull=False)
        .order_by()
        .values("microcredential")
        .annotate(t=Min(_fill_time()))
    )
    return (
        microcredentials_for_staff(tenant=tenant, access=access)
        .exclude(status=PublicationStatus.ARCHIVED)
        .annotate(
            waiting=Coalesce(Subquery(waiting.values("n"), output_field=IntegerField()), 0),
            notified=Coalesce(Subquery(notified.values("n"), output_field=IntegerField()), 0),
            waitlist_depth=Coalesce(Subquery(depth.values("n"), output_field=IntegerField()), 0),
            fastest_fill=Subquery(fastest.values("t"), output_field=DurationField()),
        )
        .order_by("-waiting", "-waitlist_depth", "unit__name", "title", "pk")
    )


def fastest_filled_offerings(*, tenant: Tenant, access: StaffAccess) -> QuerySet[Offering]:
    """The person's runs that filled, quickest first, with `fill_time`."""
    visible = microcredentials_for_staff(tenant=tenant, access=access).values("pk")
    return (
        Offering.objects.filter(tenant=tenant, microcredential__in=visible, filled_at__isnull=False)
        .select_related("microcredential__unit")
        .annotate(fill_time=_fill_time())
        .order_by("fill_time", "pk")
    )


@dataclass(frozen=True)
class SearchMissRow:
    words: str
    count: int
    last_seen_at: datetime


def search_misses(
    *, tenant: Tenant, now: datetime | None = None, days: int = SEARCH_DAYS
) -> list[SearchMissRow]:
    """Words that found nothing in the tenant's catalog in the last `days` days, most often first."""
    since = timezone.localdate(now or timezone.now()) - timedelta(days=days - 1)
    rows = (
        SearchMiss.objects.filter(tenant=tenant, day__gte=since)
        .values("words")
        .annotate(total=Sum("count"), last=Max("last_seen_at"))
        .order_by("-total", "-last", "words")
    )
    return [SearchMissRow(r["words"], r["total"], r["last"]) for r in rows[:500]]


def is_waiting(*, tenant: Tenant, offering_id: int, email: str) -> bool:
    """Whether this address waits to hear of the offering's microcredential (one query)."""
    return Interest.objects.filter(
        tenant=tenant,
        notified_at__isnull=True,
        email=email.strip().lower(),  # stored lowercased: the unique index's own order
        microcredential__offerings__pk=offering_id,
    ).exists()

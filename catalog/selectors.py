"""Reads on the catalog. Each takes the tenant and filters by it; each returns what its page shows
with the related rows it needs, so a page's query count does not grow with its rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.contrib.postgres.search import SearchQuery, SearchRank, TrigramWordSimilarity
from django.db.models import Case, F, IntegerField, Prefetch, Q, QuerySet, Value, When
from django.db.models.functions import Greatest
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import (
    SEARCH_CONFIG,
    CatalogEvent,
    Microcredential,
    Offering,
    PublicationStatus,
    RefundPolicy,
)
from core.money import minor_exponent
from tenants.errors import NotVisible
from tenants.models import Tenant, Unit
from tenants.selectors import StaffAccess

PUBLISHED = PublicationStatus.PUBLISHED


class Sort:
    RELEVANCE = "relevance"
    NEWEST = "newest"
    SOONEST = "soonest"
    PRICE = "price"


@dataclass(frozen=True)
class CatalogQuery:
    """What a learner asked for: text and filters (parsed from the URL by catalog.forms)."""

    text: str = ""
    unit_slug: str = ""
    delivery_mode: str = ""
    start_month: date | None = None  # first day of the month, in the tenant's time zone
    free_only: bool = False
    price_below: Decimal | None = None  # major units of the tenant's currency
    min_credits: Decimal | None = None
    credit_type: str = ""
    has_seats: bool = False
    sort: str = ""


@dataclass(frozen=True)
class SeatCount:
    """How many of an offering's seats are taken, as every page shows it."""

    taken: int
    capacity: int

    @property
    def left(self) -> int:
        return max(self.capacity - self.taken, 0)


def offering_seats(offering: Offering) -> SeatCount:
    """The one seat count: catalog pages, the console's lists, the roster and the API all read it
    here. `seats_taken` is the enrollment engine's counter of held, offered, confirmed and
    completed enrollments, changed in the same transaction as the row that takes or frees a seat;
    counting the rows a page happens to show (a searched roster) would disagree with it."""
    return SeatCount(taken=offering.seats_taken, capacity=offering.capacity)


# Counting stops here: "more than 1,000 courses" costs as little as "13 courses".
COUNT_CAP = 1000


@dataclass(frozen=True)
class CatalogResults:
    offerings: QuerySet[Offering]
    # How many, up to COUNT_CAP + 1 (more than the cap: "more than 1,000").
    count: int
    # True when no offering matched the words themselves and these are close spellings.
    fuzzy: bool = False


def _count_capped(offerings: QuerySet[Offering]) -> int:
    return offerings.order_by()[: COUNT_CAP + 1].count()


def _public_offerings(*, tenant: Tenant) -> QuerySet[Offering]:
    """Published offerings of published microcredentials of active units."""
    return Offering.objects.filter(
        tenant=tenant,
        status=PUBLISHED,
        microcredential__status=PUBLISHED,
        microcredential__unit__is_active=True,
    ).select_related("microcredential__unit__tenant")


def _open_or_upcoming(offerings: QuerySet[Offering], now: datetime) -> QuerySet[Offering]:
    """Not started yet, or still taking enrollments."""
    return offerings.filter(Q(starts_at__gt=now) | Q(enrollment_closes_at__gt=now))


def _month_range(month: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    start = datetime(month.year, month.month, 1, tzinfo=tz)
    following = datetime(month.year + month.month // 12, month.month % 12 + 1, 1, tzinfo=tz)
    return start, following


def _filtered(offerings: QuerySet[Offering], *, tenant: Tenant, query: CatalogQuery) -> QuerySet[Offering]:
    if query.unit_slug:
        offerings = offerings.filter(microcredential__unit__slug=query.unit_slug)
    if query.delivery_mode:
        offerings = offerings.filter(delivery_mode=query.delivery_mode)
    if query.start_month is not None:
        start, end = _month_range(query.start_month, ZoneInfo(tenant.time_zone))
        offerings = offerings.filter(starts_at__gte=start, starts_at__lt=end)
    if query.free_only:
        offerings = offerings.filter(price_minor=0)
    elif query.price_below is not None:
        # Prices compare only within the tenant's currency; free is under any amount.
        limit = int(query.price_below.scaleb(minor_exponent(tenant.currency)))
        offerings = offerings.filter(Q(price_minor=0) | Q(currency=tenant.currency, price_minor__lt=limit))
    if query.min_credits is not None:
        offerings = offerings.filter(microcredential__credit_value__gte=query.min_credits)
    if query.credit_type:
        offerings = offerings.filter(microcredential__credit_type=query.credit_type)
    if query.has_seats:
        offerings = offerings.filter(seats_taken__lt=F("capacity"))
    return offerings


def _ordered(offerings: QuerySet[Offering], sort: str, *, ranked: bool, now: datetime) -> QuerySet[Offering]:
    # Open for enrollment first, then opening soon, then closed; a search's relevance outranks it.
    # Every order ends with the primary key, so pages never repeat or skip a row.
    phased = offerings.annotate(
        enrollment_phase=Case(
            When(enrollment_opens_at__gt=now, then=Value(1)),
            When(enrollment_closes_at__lte=now, then=Value(2)),
            default=Value(0),
            output_field=IntegerField(),
        )
    )
    if sort == Sort.SOONEST:
        return phased.order_by("enrollment_phase", "starts_at", "pk")
    if sort == Sort.PRICE:
        return phased.order_by("enrollment_phase", "price_minor", "-starts_at", "-pk")
    if ranked and sort in ("", Sort.RELEVANCE):
        return phased.order_by(F("rank").desc(), "enrollment_phase", "-starts_at", "-pk")
    return phased.order_by("enrollment_phase", "-starts_at", "-pk")


# A word typed with a slip still finds its title or skill ("pyton" → "Python").
TRIGRAM_THRESHOLD = 0.5


def catalog_search(
    *, tenant: Tenant, query: CatalogQuery, now: datetime | None = None, unit: Unit | None = None
) -> CatalogResults:
    """The catalog as a learner filtered it: full-text search ranked by relevance (title weighs
    most), falling back to trigram similarity when the words match nothing."""
    now = now or timezone.now()
    offerings = _open_or_upcoming(_public_offerings(tenant=tenant), now)
    if unit is not None:
        offerings = offerings.filter(microcredential__unit=unit)
    offerings = _filtered(offerings, tenant=tenant, query=query)
    text = query.text.strip()
    if not text:
        return CatalogResults(
            _ordered(offerings, query.sort, ranked=False, now=now), _count_capped(offerings)
        )
    search = SearchQuery(text, search_type="websearch", config=SEARCH_CONFIG)
    matched = offerings.filter(microcredential__search_vector=search)
    count = _count_capped(matched)
    if count:
        ranked = matched.annotate(rank=SearchRank(F("microcredential__search_vector"), search))
        return CatalogResults(_ordered(ranked, query.sort, ranked=True, now=now), count)
    similar = offerings.annotate(
        rank=Greatest(
            TrigramWordSimilarity(text, "microcredential__title"),
            TrigramWordSimilarity(text, "microcredential__skills"),
        )
    ).filter(rank__gte=TRIGRAM_THRESHOLD)
    return CatalogResults(
        _ordered(similar, query.sort, ranked=True, now=now), _count_capped(similar), fuzzy=True
    )


def offerings_slice(offerings: QuerySet[Offering], start: int, stop: int) -> list[Offering]:
    """One page of an ordered listing in two steps: the page's keys first (the ordering reads
    only the offering's narrow columns), then those rows with everything a card shows. Sorting
    every matching row whole, descriptions and search vectors included, cost three times as
    much on 10,000 offerings."""
    keys = list(offerings.values_list("pk", flat=True)[start:stop])
    rows = {o.pk: o for o in offerings.order_by().filter(pk__in=keys)}
    return [rows[k] for k in keys if k in rows]


def catalog_units(*, tenant: Tenant) -> QuerySet[Unit]:
    return Unit.objects.filter(tenant=tenant, is_active=True).select_related("tenant").order_by("name")


def _with_policies(offerings: QuerySet[Offering]) -> QuerySet[Offering]:
    """The offering's own policy and its unit's default, each with its tiers, in fixed queries."""
    return offerings.select_related("refund_policy").prefetch_related(
        "refund_policy__tiers",
        Prefetch(
            "microcredential__unit__refund_policies",
            queryset=RefundPolicy.objects.filter(is_unit_default=True).prefetch_related("tiers"),
            to_attr="default_policies",
        ),
    )


def policy_in_force(offering: Offering) -> RefundPolicy | None:
    """After `_with_policies`: the offering's policy, else its unit's default (no query)."""
    if offering.refund_policy is not None:
        return offering.refund_policy
    defaults: list[RefundPolicy] = getattr(offering.microcredential.unit, "default_policies", [])
    return defaults[0] if defaults else None


def offering_public_detail(*, tenant: Tenant, offering_id: int) -> Offering:
    """A published offering with everything its page shows. Offerings that finished or closed
    stay reachable by their address (links live on), marked as closed."""
    published_parts = Microcredential.objects.filter(status=PUBLISHED).order_by("title")
    offering = (
        _with_policies(_public_offerings(tenant=tenant))
        .prefetch_related(
            Prefetch("microcredential__parts", queryset=published_parts, to_attr="published_parts"),
            Prefetch("microcredential__stacks_into", queryset=published_parts, to_attr="published_stacks"),
        )
        .filter(pk=offering_id)
        .first()
    )
    if offering is None:
        raise NotVisible(_("No such offering."))
    return offering


def other_cohorts(*, tenant: Tenant, offering: Offering, now: datetime | None = None) -> QuerySet[Offering]:
    """Other open or upcoming runs of the same microcredential."""
    now = now or timezone.now()
    return (
        _open_or_upcoming(_public_offerings(tenant=tenant), now)
        .filter(microcredential_id=offering.microcredential_id)
        .exclude(pk=offering.pk)
        .order_by("starts_at", "pk")
    )


# --- Staff console --------------------------------------------------------------------------


def _managed_unit_filter(access: StaffAccess, field: str) -> Q:
    if access.managed_unit_ids is None:
        return Q()
    return Q(**{f"{field}__in": access.managed_unit_ids})


def microcredentials_for_staff(*, tenant: Tenant, access: StaffAccess) -> QuerySet[Microcredential]:
    if access.tenant_id != tenant.pk or not access.manages_any_unit:
        return Microcredential.objects.none()
    return (
        Microcredential.objects.filter(tenant=tenant)
        .filter(_managed_unit_filter(access, "unit_id"))
        .select_related("unit")
        .order_by("unit__name", "title", "pk")
    )


def microcredential_for_staff(
    *, tenant: Tenant, access: StaffAccess, microcredential_id: int
) -> Microcredential:
    found = (
        microcredentials_for_staff(tenant=tenant, access=access)
        .prefetch_related("parts", "stacks_into")
        .filter(pk=microcredential_id)
        .first()
    )
    if found is None:
        raise NotVisible(_("No such microcredential."))
    return found


def offerings_for_staff(*, tenant: Tenant, access: StaffAccess) -> QuerySet[Offering]:
    if access.tenant_id != tenant.pk or not access.manages_any_unit:
        return Offering.objects.none()
    return (
        Offering.objects.filter(tenant=tenant)
        .filter(_managed_unit_filter(access, "microcredential__unit_id"))
        .select_related("microcredential__unit__tenant", "refund_policy")
        .order_by("-starts_at", "-pk")
    )


def offering_for_staff(*, tenant: Tenant, access: StaffAccess, offering_id: int) -> Offering:
    found = _with_policies(offerings_for_staff(tenant=tenant, access=access)).filter(pk=offering_id).first()
    if found is None:
        raise NotVisible(_("No such offering."))
    return found


def part_choices(*, tenant: Tenant, access: StaffAccess) -> QuerySet[Microcredential]:
    """What a person may stack: anything published in the tenant, and drafts of their own units."""
    own = _managed_unit_filter(access, "unit_id") if access.manages_any_unit else Q(pk__in=[])
    return (
        Microcredential.objects.filter(tenant=tenant)
        .exclude(status=PublicationStatus.ARCHIVED)
        .filter(Q(status=PUBLISHED) | own)
        .select_related("unit")
        .order_by("title", "pk")
    )


def refund_policies_for_staff(*, tenant: Tenant, access: StaffAccess) -> QuerySet[RefundPolicy]:
    if access.tenant_id != tenant.pk or not access.manages_any_unit:
        return RefundPolicy.objects.none()
    return (
        RefundPolicy.objects.filter(tenant=tenant)
        .filter(_managed_unit_filter(access, "unit_id"))
        .select_related("unit")
        .prefetch_related("tiers")
        .order_by("unit__name", "-is_unit_default", "name", "pk")
    )


def refund_policy_for_staff(*, tenant: Tenant, access: StaffAccess, policy_id: int) -> RefundPolicy:
    found = refund_policies_for_staff(tenant=tenant, access=access).filter(pk=policy_id).first()
    if found is None:
        raise NotVisible(_("No such refund policy."))
    return found


def events_for_offering(*, tenant: Tenant, offering: Offering, limit: int = 20) -> QuerySet[CatalogEvent]:
    return CatalogEvent.objects.filter(tenant=tenant, offering=offering).select_related("actor")[:limit]


def offerings_on_sale(
    *, tenant: Tenant, unit_id: int | None = None, now: datetime | None = None
) -> QuerySet[Offering]:
    """Published, priced offerings still taking enrollments (an employer buying seats: of one
    unit, or of every unit), soonest first."""
    offerings = _open_or_upcoming(_public_offerings(tenant=tenant), now or timezone.now()).filter(
        price_minor__gt=0
    )
    if unit_id is not None:
        offerings = offerings.filter(microcredential__unit_id=unit_id)
    return offerings.order_by("starts_at", "pk")

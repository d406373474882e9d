"""Microcred's data in OneRoster 1.2 terms, within a RosterScope (a tenant, maybe some units).

| OneRoster | Microcred | sourcedId |
|---|---|---|
| org, type `district` | the tenant | `tenant-<id>` |
| org, type `school` (parent: the tenant) | each unit | `unit-<id>` |
| course | a microcredential, published or archived | `microcredential-<id>` |
| class, `scheduled` | an offering, published or archived | `offering-<id>` |
| academicSession, type `term` | the offering's dates | `term-<id>` (the offering's id) |
| enrollment, role `student` | a seat (see below) | `enrollment-<id>` |
| user, role `student` | a learner with such a seat | the learner's OIDC subject at the tenant |

An enrollment is `active` while the seat is confirmed or completed, `tobedeleted` once a seat
that was confirmed is cancelled or expired; a user is `active` while one of their seats is.

A user's sourcedId is the `sub` the LMS sees when the learner signs in through Microcred, so the
roster's users and the signed-in accounts are the same people. Dates are in the offering's time
zone; dateLastModified is when the row last changed (a user: their latest seat change).

Orgs, courses, classes and terms are built whole and queried in memory (a tenant has at most a
few thousand); users and enrollments are queried in the database, one page at a time.
Every function runs a fixed number of queries, however many rows there are.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.db.models import (
    Case,
    CharField,
    Exists,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Cast, Concat

from access.oneroster.query import (
    Column,
    OneRosterError,
    Page,
    Predicate,
    Query,
    apply_to_records,
    filter_queryset,
    project,
)
from access.services.claims import subject_for
from access.services.entitlements import SEAT_STATES, zone_of
from catalog.models import Microcredential, Offering, PublicationStatus
from core.dates import local
from enrollment.models import Enrollment, EnrollmentEvent, EnrollmentStatus
from identity.models import User
from tenants.models import Tenant, Unit

SHOWN_PUBLICATION = (PublicationStatus.PUBLISHED, PublicationStatus.ARCHIVED)
ENDED_SEAT_STATES = (EnrollmentStatus.CANCELLED, EnrollmentStatus.EXPIRED)


@dataclass(frozen=True)
class RosterScope:
    tenant: Tenant
    unit_ids: frozenset[int] | None  # None: every unit of the tenant
    base_url: str  # ".../ims/oneroster/rostering/v1p2", for the GUIDRefs' href
    # Learners' subjects (HMACs) already computed: a learner is in many seats.
    _subjects: dict[int, str] = field(default_factory=dict, compare=False, repr=False)

    def subject(self, learner: User) -> str:
        found = self._subjects.get(learner.pk)
        if found is None:
            found = self._subjects[learner.pk] = subject_for(tenant=self.tenant, learner=learner)
        return found

    def ref(self, collection: str, kind: str, sourced_id: str) -> dict[str, str]:
        return {"href": f"{self.base_url}/{collection}/{sourced_id}", "sourcedId": sourced_id, "type": kind}


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _status(active: bool) -> str:
    return "active" if active else "tobedeleted"


def unknown(kind: str) -> OneRosterError:
    return OneRosterError(f"No {kind} with that sourcedId here.", code_minor="unknownobject", status=404)


def _pk(sourced_id: str, prefix: str) -> int | None:
    rest = sourced_id.removeprefix(prefix)
    return int(rest) if rest != sourced_id and rest.isdigit() and len(rest) < 18 else None


# -- Orgs ------------------------------------------------------------------------------------

ORG_FIELDS = ("sourcedId", "status", "dateLastModified", "name", "type", "identifier", "parent", "children")


def _units(scope: RosterScope) -> list[Unit]:
    units = Unit.objects.filter(tenant=scope.tenant).order_by("pk")
    if scope.unit_ids is not None:
        units = units.filter(pk__in=scope.unit_ids)
    return list(units)


def org_records(scope: RosterScope) -> list[dict[str, Any]]:
    tenant = scope.tenant
    units = _units(scope)
    tenant_id = f"tenant-{tenant.pk}"
    records: list[dict[str, Any]] = [
        {
            "sourcedId": tenant_id,
            "status": _status(tenant.is_active),
            "dateLastModified": stamp(tenant.created_at),
            "name": tenant.name,
            "type": "district",
            "identifier": tenant.slug,
            "children": [scope.ref("orgs", "org", f"unit-{u.pk}") for u in units],
        }
    ]
    for unit in units:
        records.append(
            {
                "sourcedId": f"unit-{unit.pk}",
                "status": _status(unit.is_active),
                "dateLastModified": stamp(unit.created_at),
                "name": unit.name,
                "type": "school",
                "identifier": unit.slug,
                "parent": scope.ref("orgs", "org", tenant_id),
                "children": [],
            }
        )
    return records


def unit_in_scope(scope: RosterScope, sourced_id: str) -> int:
    """The id of the unit (a school org) with this sourcedId, if the scope reaches it."""
    pk = _pk(sourced_id, "unit-")
    if pk is None or (scope.unit_ids is not None and pk not in scope.unit_ids):
        raise unknown("school")
    if not Unit.objects.filter(tenant=scope.tenant, pk=pk).exists():
        raise unknown("school")
    return pk


# -- Courses, classes, terms -----------------------------------------------------------------

COURSE_FIELDS = ("sourcedId", "status", "dateLastModified", "title", "courseCode", "org")
CLASS_FIELDS = (
    "sourcedId",
    "status",
    "dateLastModified",
    "title",
    "classCode",
    "classType",
    "location",
    "course",
    "school",
    "terms",
)
SESSION_FIELDS = (
    "sourcedId",
    "status",
    "dateLastModified",
    "title",
    "type",
    "startDate",
    "endDate",
    "schoolYear",
)


def _microcredentials(scope: RosterScope) -> QuerySet[Microcredential]:
    found = Microcredential.objects.filter(tenant=scope.tenant, status__in=SHOWN_PUBLICATION)
    if scope.unit_ids is not None:
        found = found.filter(unit_id__in=scope.unit_ids)
    return found.order_by("pk")


def offerings(scope: RosterScope) -> QuerySet[Offering]:
    found = Offering.objects.filter(
        tenant=scope.tenant, status__in=SHOWN_PUBLICATION, microcredential__status__in=SHOWN_PUBLICATION
    ).select_related("microcredential")
    if scope.unit_ids is not None:
        found = found.filter(microcredential__unit_id__in=scope.unit_ids)
    return found.order_by("pk")


def course_records(scope: RosterScope) -> list[dict[str, Any]]:
    return [
        {
            "sourcedId": f"microcredential-{m.pk}",
            "status": _status(m.status == PublicationStatus.PUBLISHED),
            "dateLastModified": stamp(m.updated_at),
            "title": m.title,
            "courseCode": f"MC-{m.pk}",
            "org": scope.ref("orgs", "org", f"unit-{m.unit_id}"),
        }
        for m in _microcredentials(scope)
    ]


def _offering_status(offering: Offering) -> str:
    return _status(
        offering.status == PublicationStatus.PUBLISHED
        and offering.microcredential.status == PublicationStatus.PUBLISHED
    )


def _title(offering: Offering) -> str:
    label = offering.microcredential.title
    return f"{label} – {offering.cohort_label}" if offering.cohort_label else label


def _dates(offering: Offering) -> tuple[str, str]:
    zone = zone_of(offering)
    return (
        local(offering.starts_at, zone).date().isoformat(),
        local(offering.ends_at, zone).date().isoformat(),
    )


def _class(scope: RosterScope, offering: Offering) -> dict[str, Any]:
    return {
        "sourcedId": f"offering-{offering.pk}",
        "status": _offering_status(offering),
        "dateLastModified": stamp(max(offering.updated_at, offering.microcredential.updated_at)),
        "title": _title(offering),
        "classCode": offering.lms_course_ref or f"offering-{offering.pk}",
        "classType": "scheduled",
        "location": offering.location or offering.get_delivery_mode_display(),
        "course": scope.ref("courses", "course", f"microcredential-{offering.microcredential_id}"),
        "school": scope.ref("orgs", "org", f"unit-{offering.microcredential.unit_id}"),
        "terms": [scope.ref("academicSessions", "academicSession", f"term-{offering.pk}")],
    }


def class_records(scope: RosterScope, *, within: QuerySet[Offering] | None = None) -> list[dict[str, Any]]:
    return [_class(scope, o) for o in (within if within is not None else offerings(scope))]


def session_records(scope: RosterScope) -> list[dict[str, Any]]:
    records = []
    for offering in offerings(scope):
        start, end = _dates(offering)
        records.append(
            {
                "sourcedId": f"term-{offering.pk}",
                "status": _offering_status(offering),
                "dateLastModified": stamp(offering.updated_at),
                "title": f"{_title(offering)} ({start} to {end})",
                "type": "term",
                "startDate": start,
                "endDate": end,
                "schoolYear": end[:4],
            }
        )
    return records


def offering_in_scope(scope: RosterScope, sourced_id: str) -> Offering:
    pk = _pk(sourced_id, "offering-")
    offering = offerings(scope).filter(pk=pk).first() if pk is not None else None
    if offering is None:
        raise unknown("class")
    return offering


# -- Enrollments -----------------------------------------------------------------------------

ENROLLMENT_FIELDS = (
    "sourcedId",
    "status",
    "dateLastModified",
    "role",
    "primary",
    "beginDate",
    "endDate",
    "user",
    "class",
    "school",
)
ENROLLMENT_COLUMNS = {
    "sourcedId": Column("or_sourced_id"),
    "status": Column("or_status"),
    "dateLastModified": Column("updated_at", is_moment=True),
    "role": Column("or_role"),
    "primary": Column("or_primary"),
}


def shown_enrollments(scope: RosterScope, *, offering: Offering | None = None) -> QuerySet[Enrollment]:
    """Seats the roster shows: held now (active), or ended after being held (tobedeleted). A
    wait-list place or a hold that never became a seat is not in the roster."""
    was_seated = Exists(EnrollmentEvent.objects.filter(enrollment=OuterRef("pk"), to_status__in=SEAT_STATES))
    found = Enrollment.objects.filter(
        Q(status__in=SEAT_STATES) | Q(was_seated, status__in=ENDED_SEAT_STATES),
        tenant=scope.tenant,
        offering__status__in=SHOWN_PUBLICATION,
        offering__microcredential__status__in=SHOWN_PUBLICATION,
    )
    if scope.unit_ids is not None:
        found = found.filter(offering__microcredential__unit_id__in=scope.unit_ids)
    if offering is not None:
        found = found.filter(offering=offering)
    return found


def _enrollments_annotated(scope: RosterScope, *, offering: Offering | None = None) -> QuerySet[Enrollment]:
    return shown_enrollments(scope, offering=offering).annotate(
        or_sourced_id=Concat(Value("enrollment-"), Cast("pk", CharField())),
        or_status=Case(When(status__in=SEAT_STATES, then=Value("active")), default=Value("tobedeleted")),
        or_role=Value("student"),
        or_primary=Value("false"),
    )


def enrollment_of(scope: RosterScope, seat: Enrollment) -> dict[str, Any]:
    offering = seat.offering
    begin, end = _dates(offering)
    return {
        "sourcedId": f"enrollment-{seat.pk}",
        "status": _status(seat.status in SEAT_STATES),
        "dateLastModified": stamp(seat.updated_at),
        "role": "student",
        "primary": "false",
        "beginDate": begin,
        "endDate": end,
        "user": scope.ref("users", "user", scope.subject(seat.learner)),
        "class": scope.ref("classes", "class", f"offering-{offering.pk}"),
        "school": scope.ref("orgs", "org", f"unit-{offering.microcredential.unit_id}"),
    }


def enrollments_page(scope: RosterScope, query: Query, *, offering: Offering | None = None) -> Page:
    found = filter_queryset(
        _enrollments_annotated(scope, offering=offering),
        query,
        columns=ENROLLMENT_COLUMNS,
        known=ENROLLMENT_FIELDS,
        special={"user": _no_filter, "class": _no_filter, "school": _no_filter},
    )
    total = found.count()
    window = found.select_related("offering__microcredential", "learner")[
        query.offset : query.offset + query.limit
    ]
    return Page(
        records=[project(enrollment_of(scope, s), query.fields) for s in window], total=total, query=query
    )


def enrollment_record(scope: RosterScope, sourced_id: str) -> dict[str, Any]:
    pk = _pk(sourced_id, "enrollment-")
    seat = (
        shown_enrollments(scope).filter(pk=pk).select_related("offering__microcredential", "learner").first()
        if pk is not None
        else None
    )
    if seat is None:
        raise unknown("enrollment")
    return enrollment_of(scope, seat)


def _no_filter(predicate: Predicate) -> Q:
    raise OneRosterError(
        f"{predicate.field} is a reference: use the collection under it instead "
        "(classes/{id}/enrollments).",
        code_minor="invalid_filter_field",
    )


def active_seats(scope: RosterScope) -> Iterator[Enrollment]:
    """Every active seat in scope, for the bulk export (one query, read in chunks)."""
    return (
        shown_enrollments(scope)
        .filter(status__in=SEAT_STATES)
        .select_related("offering__microcredential", "learner")
        .order_by("pk")
        .iterator(chunk_size=2000)
    )


# -- Users -----------------------------------------------------------------------------------


def one_of(records: list[dict[str, Any]], sourced_id: str, kind: str) -> dict[str, Any]:
    for record in records:
        if record["sourcedId"] == sourced_id:
            return record
    raise unknown(kind)


def records_page(records: list[dict[str, Any]], query: Query, known: tuple[str, ...]) -> Page:
    return apply_to_records(records, query, known=known)

"""OneRoster users: the learners with a seat in the scope's classes, as OneRoster 1.2 user
records (their subject per tenant as the sourcedId), filtered, sorted and paged."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from django.contrib.postgres.aggregates import ArrayAgg
from django.db.models import (
    Case,
    Count,
    Max,
    Q,
    QuerySet,
    Value,
    When,
)

from access.oneroster.query import (
    Column,
    OneRosterError,
    Page,
    Predicate,
    Query,
    filter_queryset,
    project,
)
from access.oneroster.records import RosterScope, shown_enrollments, stamp, unknown
from access.services.claims import subject_for
from access.services.entitlements import SEAT_STATES
from catalog.models import Offering
from identity.models import User

USER_FIELDS = (
    "sourcedId",
    "status",
    "dateLastModified",
    "enabledUser",
    "username",
    "userIds",
    "givenName",
    "familyName",
    "email",
    "roles",
    "primaryOrg",
)
USER_COLUMNS = {
    "status": Column("or_status"),
    "dateLastModified": Column("or_modified", is_moment=True),
    "email": Column("email"),
    "username": Column("email"),
    "enabledUser": Column("or_enabled"),
    # Not a field of 1.2's user (its roles are a list), but what 1.1 clients filter on.
    "role": Column("or_role"),
}


def _users(
    scope: RosterScope, *, offering: Offering | None = None, seated_only: bool = False
) -> QuerySet[User]:
    seats = shown_enrollments(scope, offering=offering)
    if seated_only:
        seats = seats.filter(status__in=SEAT_STATES)
    return (
        User.objects.filter(enrollments__in=seats.values("pk"))
        .annotate(
            or_modified=Max("enrollments__updated_at"),
            or_seated=Count("enrollments", filter=Q(enrollments__status__in=SEAT_STATES)),
            or_unit_ids=ArrayAgg("enrollments__offering__microcredential__unit_id", distinct=True),
        )
        .annotate(
            or_status=Case(When(or_seated__gt=0, then=Value("active")), default=Value("tobedeleted")),
            or_enabled=Value("true"),
            or_role=Value("student"),
        )
    )


def _names(full_name: str) -> tuple[str, str]:
    """As the OIDC claims split it: the family name is the last word."""
    parts = full_name.split()
    if len(parts) < 2:
        return (parts[0] if parts else "", "")
    return (" ".join(parts[:-1]), parts[-1])


def user_of(scope: RosterScope, learner: User) -> dict[str, Any]:
    sub = scope.subject(learner)
    given, family = _names(learner.full_name)
    unit_ids: list[int] = sorted(getattr(learner, "or_unit_ids", None) or [])
    roles = [
        {
            "roleType": "primary" if index == 0 else "secondary",
            "role": "student",
            "org": scope.ref("orgs", "org", f"unit-{unit_id}"),
        }
        for index, unit_id in enumerate(unit_ids)
    ]
    record: dict[str, Any] = {
        "sourcedId": sub,
        "status": getattr(learner, "or_status", "active"),
        "dateLastModified": stamp(getattr(learner, "or_modified", None) or learner.date_joined),
        "enabledUser": "true",
        "username": learner.email,
        "userIds": [{"type": "oidc_sub", "identifier": sub}],
        "givenName": given,
        "familyName": family,
        "email": learner.email,
        "roles": roles,
    }
    if unit_ids:
        record["primaryOrg"] = scope.ref("orgs", "org", f"unit-{unit_ids[0]}")
    return record


def _learners_with_subject(scope: RosterScope, users: QuerySet[User], wanted: set[str]) -> list[int]:
    """The learners whose subject is one of `wanted`. Subjects are HMACs, so this reads the
    scope's learner ids (one query) and compares; no table of subjects is kept."""
    return [
        pk
        for pk in users.order_by().values_list("pk", flat=True)
        if subject_for(tenant=scope.tenant, learner=User(pk=pk)) in wanted
    ]


def _subject_filter(scope: RosterScope, users: QuerySet[User]) -> Callable[[Predicate], Q]:
    def condition(predicate: Predicate) -> Q:
        if predicate.op not in ("=", "!="):
            raise OneRosterError(
                "A user's sourcedId can be filtered with = or != only.", code_minor="invalid_filter_field"
            )
        matching = Q(pk__in=_learners_with_subject(scope, users, {predicate.value}))
        return matching if predicate.op == "=" else ~matching

    return condition


def users_page(
    scope: RosterScope, query: Query, *, offering: Offering | None = None, seated_only: bool = False
) -> Page:
    users = _users(scope, offering=offering, seated_only=seated_only)
    found = filter_queryset(
        users,
        query,
        columns=USER_COLUMNS,
        known=USER_FIELDS,
        special={"sourcedId": _subject_filter(scope, users)},
    )
    total = found.count()
    window = found[query.offset : query.offset + query.limit]
    return Page(records=[project(user_of(scope, u), query.fields) for u in window], total=total, query=query)


def user_record(scope: RosterScope, sourced_id: str) -> dict[str, Any]:
    users = _users(scope)
    pks = _learners_with_subject(scope, users, {sourced_id}) if len(sourced_id) == 40 else []
    learner = users.filter(pk__in=pks).first() if pks else None
    if learner is None:
        raise unknown("user")
    return user_of(scope, learner)


def seated_learners(scope: RosterScope) -> Iterator[User]:
    """Every learner with an active seat in scope, for the bulk export (one query)."""
    return _users(scope, seated_only=True).order_by("pk").iterator(chunk_size=2000)


# -- One object out of the in-memory collections --------------------------------------------

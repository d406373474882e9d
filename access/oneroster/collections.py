"""The REST binding's read endpoints, by path: which records each answers with, under which
envelope key, and which scopes open it. The views only authenticate and render."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from access.oneroster import records, users
from access.oneroster.query import OneRosterError, Page, Query, check_fields, project
from access.oneroster.records import RosterScope
from access.oneroster.scopes import CORE, FULL


@dataclass(frozen=True)
class Answer:
    key: str  # the envelope: "users" for a list, "user" for one
    page: Page | None = None
    record: dict[str, Any] | None = None


def _unsupported(path: str) -> OneRosterError:
    return OneRosterError(
        f"No such OneRoster endpoint here: {path[:200]}", code_minor="unknownobject", status=404
    )


def _memory(kind: str, scope: RosterScope) -> tuple[list[dict[str, Any]], tuple[str, ...]]:
    if kind == "orgs":
        return records.org_records(scope), records.ORG_FIELDS
    if kind == "courses":
        return records.course_records(scope), records.COURSE_FIELDS
    if kind == "classes":
        return records.class_records(scope), records.CLASS_FIELDS
    return records.session_records(scope), records.SESSION_FIELDS


# path segment → (kind, envelope list key, envelope one key, a fixed filter on `type`)
COLLECTIONS: dict[str, tuple[str, str, str, str | None]] = {
    "orgs": ("orgs", "orgs", "org", None),
    "schools": ("orgs", "orgs", "org", "school"),
    "academicSessions": ("sessions", "academicSessions", "academicSession", None),
    "terms": ("sessions", "academicSessions", "academicSession", "term"),
    "courses": ("courses", "courses", "course", None),
    "classes": ("classes", "classes", "class", None),
    "users": ("users", "users", "user", None),
    "students": ("users", "users", "user", None),  # every user here is a student
    "teachers": ("teachers", "users", "user", None),  # none: staff are not in the roster
    "enrollments": ("enrollments", "enrollments", "enrollment", None),
}


COLLECTION_FIELDS = {
    "orgs": records.ORG_FIELDS,
    "courses": records.COURSE_FIELDS,
    "classes": records.CLASS_FIELDS,
    "sessions": records.SESSION_FIELDS,
    "users": users.USER_FIELDS,
    "teachers": users.USER_FIELDS,
    "enrollments": records.ENROLLMENT_FIELDS,
}


def scopes_for(path: list[str]) -> frozenset[str]:
    """Any one of these scopes opens the endpoint."""
    return FULL if "enrollments" in path else CORE


def _empty(query: Query) -> Page:
    return Page(records=[], total=0, query=query)


def list_collection(scope: RosterScope, name: str, query: Query) -> Answer:
    if name not in COLLECTIONS:
        raise _unsupported(name)
    kind, key, _one, fixed_type = COLLECTIONS[name]
    if kind == "users":
        return Answer(key, page=users.users_page(scope, query))
    if kind == "teachers":
        return Answer(key, page=_empty(query))
    if kind == "enrollments":
        return Answer(key, page=records.enrollments_page(scope, query))
    found, known = _memory(kind, scope)
    if fixed_type is not None:
        found = [r for r in found if r["type"] == fixed_type]
    return Answer(key, page=records.records_page(found, query, known))


def get_one(scope: RosterScope, name: str, sourced_id: str, query: Query) -> Answer:
    if name not in COLLECTIONS:
        raise _unsupported(name)
    kind, _key, one, fixed_type = COLLECTIONS[name]
    if kind == "users":
        record = users.user_record(scope, sourced_id)
    elif kind == "teachers":
        raise OneRosterError("No teacher with that sourcedId here.", code_minor="unknownobject", status=404)
    elif kind == "enrollments":
        record = records.enrollment_record(scope, sourced_id)
    else:
        found, _known = _memory(kind, scope)
        if fixed_type is not None:
            found = [r for r in found if r["type"] == fixed_type]
        record = records.one_of(found, sourced_id, one)
    check_fields(query, COLLECTION_FIELDS[kind])
    return Answer(one, record=project(record, query.fields))


def list_under_class(scope: RosterScope, class_id: str, sub: str, query: Query) -> Answer:
    """classes/{id}/students, /teachers, /enrollments."""
    offering = records.offering_in_scope(scope, class_id)
    if sub == "students":
        return Answer("users", page=users.users_page(scope, query, offering=offering, seated_only=True))
    if sub == "teachers":
        return Answer("users", page=_empty(query))
    if sub == "enrollments":
        return Answer("enrollments", page=records.enrollments_page(scope, query, offering=offering))
    raise _unsupported(f"classes/{class_id}/{sub}")


def list_under_school(scope: RosterScope, school_id: str, tail: list[str], query: Query) -> Answer:
    """schools/{id}/classes, schools/{id}/classes/{id}/enrollments|students|teachers."""
    unit_id = records.unit_in_scope(scope, school_id)
    if tail == ["classes"]:
        within = records.offerings(scope).filter(microcredential__unit_id=unit_id)
        return Answer(
            "classes",
            page=records.records_page(
                records.class_records(scope, within=within), query, records.CLASS_FIELDS
            ),
        )
    if len(tail) == 3 and tail[0] == "classes":
        offering = records.offering_in_scope(scope, tail[1])
        if offering.microcredential.unit_id != unit_id:
            raise OneRosterError(
                "No class with that sourcedId in this school.", code_minor="unknownobject", status=404
            )
        return list_under_class(scope, tail[1], tail[2], query)
    raise _unsupported("schools/" + "/".join([school_id, *tail]))

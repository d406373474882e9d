"""The OneRoster 1.2 REST binding's query parameters, and the errors it answers with.

- `limit` (default 100, at most MAX_LIMIT: a larger one gets MAX_LIMIT, and the `Link` header
  leads on) and `offset` (from 0);
- `filter`: one or more `field<op>'value'` joined by ` AND ` or by ` OR ` (not both), with the
  binding's operators `=`, `!=`, `>`, `>=`, `<`, `<=` and `~` (contains, case-insensitive);
  `dateLastModified>'2027-01-05T00:00:00Z'` is the delta an LMS asks for;
- `sort` (one field) and `orderBy` (`asc`, the default, or `desc`);
- `fields`: the fields to return, comma-separated.

Whatever cannot be parsed or names a field the collection does not have is a OneRosterError
(400, code minor `invalid_filter_field`, `invalid_selection_field` or `invaliddata`), never a
500. Queries run in two ways: on the database (`filter_queryset`, for the collections that grow
with the learners: users and enrollments) with the fields the collection maps to columns, or on
records already built (`apply_to_records`, for the few orgs, courses, classes and terms).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from django.db.models import Model, Q, QuerySet

M = TypeVar("M", bound=Model)

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
OPERATORS = ("!=", ">=", "<=", "=", ">", "<", "~")
DATE_FIELDS = frozenset({"dateLastModified", "startDate", "endDate", "beginDate"})

_PREDICATE = re.compile(r"\s*([A-Za-z][A-Za-z0-9_]*)\s*(!=|>=|<=|=|>|<|~)\s*'([^']*)'\s*")
_CONNECTIVE = re.compile(r"(AND|OR)\s+")


class OneRosterError(Exception):
    """An answer in the binding's error shape (imsx_StatusInfo)."""

    def __init__(self, description: str, *, code_minor: str = "invaliddata", status: int = 400) -> None:
        super().__init__(description)
        self.description = description
        self.code_minor = code_minor
        self.status = status

    def payload(self) -> dict[str, Any]:
        return {
            "imsx_codeMajor": "failure",
            "imsx_severity": "error",
            "imsx_description": self.description,
            "imsx_CodeMinor": {
                "imsx_codeMinorField": [
                    {
                        "imsx_codeMinorFieldName": "TargetEndSystem",
                        "imsx_codeMinorFieldValue": self.code_minor,
                    }
                ]
            },
        }


@dataclass(frozen=True)
class Predicate:
    field: str
    op: str
    value: str


@dataclass(frozen=True)
class Query:
    predicates: tuple[Predicate, ...] = ()
    any_of: bool = False  # predicates joined by OR (else AND)
    sort: str | None = None
    descending: bool = False
    fields: tuple[str, ...] | None = None
    limit: int = DEFAULT_LIMIT
    offset: int = 0


@dataclass
class Page:
    records: list[dict[str, Any]]
    total: int
    query: Query = field(default_factory=Query)


def _int(params: Mapping[str, str], name: str, default: int, minimum: int) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or int(raw) < minimum:
        raise OneRosterError(f"{name} must be a whole number of at least {minimum}.")
    if len(raw) > 18:  # beyond PostgreSQL's bigint; a limit that large is capped anyway
        if name == "offset":
            raise OneRosterError("offset is past any roster.")
        return MAX_LIMIT
    return int(raw)


def parse_filter(text: str) -> tuple[tuple[Predicate, ...], bool]:
    predicates: list[Predicate] = []
    connectives: set[str] = set()
    position = 0
    while True:
        match = _PREDICATE.match(text, position)
        if match is None:
            raise OneRosterError(
                "The filter is not of the form field='value' (operators = != > >= < <= ~, joined by "
                f"AND or OR): {text[:200]}",
                code_minor="invalid_filter_field",
            )
        predicates.append(Predicate(*match.groups()))
        position = match.end()
        if position == len(text):
            break
        joined = _CONNECTIVE.match(text, position) if text[position - 1].isspace() else None
        if joined is None:
            raise OneRosterError(
                f"Expected AND or OR in the filter after {text[:position][:200]}",
                code_minor="invalid_filter_field",
            )
        connectives.add(joined.group(1))
        position = joined.end()
    if len(connectives) > 1:
        raise OneRosterError(
            "A filter joins its parts with AND or with OR, not both.", code_minor="invalid_filter_field"
        )
    return tuple(predicates), connectives == {"OR"}


def parse_query(params: Mapping[str, str]) -> Query:
    limit = min(_int(params, "limit", DEFAULT_LIMIT, 1), MAX_LIMIT)
    offset = _int(params, "offset", 0, 0)
    predicates: tuple[Predicate, ...] = ()
    any_of = False
    text = params.get("filter", "")
    if text.strip():
        predicates, any_of = parse_filter(text)
    order = params.get("orderBy", "asc") or "asc"
    if order not in ("asc", "desc"):
        raise OneRosterError("orderBy is asc or desc.")
    sort = (params.get("sort") or "").strip() or None
    fields: tuple[str, ...] | None = None
    if (params.get("fields") or "").strip():
        fields = tuple(f.strip() for f in params["fields"].split(",") if f.strip())
    return Query(
        predicates=predicates,
        any_of=any_of,
        sort=sort,
        descending=order == "desc",
        fields=fields,
        limit=limit,
        offset=offset,
    )


def check_fields(query: Query, known: Iterable[str]) -> None:
    """`fields` must name fields of the collection."""
    unknown = [f for f in query.fields or () if f not in set(known)]
    if unknown:
        raise OneRosterError(
            f"Unknown field(s) in fields: {', '.join(unknown)[:200]}", code_minor="invalid_selection_field"
        )


def project(record: dict[str, Any], fields: Sequence[str] | None) -> dict[str, Any]:
    if not fields:
        return record
    return {k: record[k] for k in fields if k in record}


def _moment(value: str, name: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError as exc:
        raise OneRosterError(
            f"{name} compares with a date or date and time (ISO 8601), not {value[:100]!r}.",
            code_minor="invalid_filter_field",
        ) from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _comparable(value: Any, name: str) -> Any:
    if name in DATE_FIELDS and isinstance(value, str) and value:
        return _moment(value, name)
    return value


# -- On records already built ---------------------------------------------------------------


def _holds(record: dict[str, Any], predicate: Predicate) -> bool:
    value = record.get(predicate.field)
    if value is None:
        return predicate.op == "!="
    if predicate.op == "~":
        return predicate.value.lower() in str(value).lower()
    left = _comparable(value, predicate.field)
    right = _comparable(predicate.value, predicate.field)
    if isinstance(left, datetime) != isinstance(right, datetime):
        left, right = str(value), predicate.value
    compare: dict[str, Callable[[Any, Any], bool]] = {
        "=": lambda a, b: a == b,
        "!=": lambda a, b: a != b,
        ">": lambda a, b: a > b,
        ">=": lambda a, b: a >= b,
        "<": lambda a, b: a < b,
        "<=": lambda a, b: a <= b,
    }
    return compare[predicate.op](left, right)


def apply_to_records(records: list[dict[str, Any]], query: Query, *, known: Sequence[str]) -> Page:
    """Filter, sort and page records (a collection of at most a few thousand)."""
    check_fields(query, known)
    scalar = [k for k in known if all(not isinstance(r.get(k), (dict, list)) for r in records)]
    for predicate in query.predicates:
        if predicate.field not in known or predicate.field not in scalar:
            raise OneRosterError(
                f"This collection cannot be filtered on {predicate.field[:100]}.",
                code_minor="invalid_filter_field",
            )
        if predicate.field in DATE_FIELDS and predicate.op != "~":
            _moment(predicate.value, predicate.field)
    if query.predicates:
        test = any if query.any_of else all
        records = [r for r in records if test(_holds(r, p) for p in query.predicates)]
    if query.sort:
        if query.sort not in known or query.sort not in scalar:
            raise OneRosterError(f"This collection cannot be sorted on {query.sort[:100]}.")
        key = query.sort
        records = sorted(records, key=lambda r: str(r.get(key) or ""), reverse=query.descending)
    window = records[query.offset : query.offset + query.limit]
    return Page(records=[project(r, query.fields) for r in window], total=len(records), query=query)


# -- On the database -------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """A field the database can filter and sort on: a lookup path (or annotation name)."""

    lookup: str
    is_moment: bool = False


_LOOKUPS = {"=": "exact", ">": "gt", ">=": "gte", "<": "lt", "<=": "lte", "~": "icontains"}


def _moment_q(predicate: Predicate, lookup: str) -> Q:
    """Moments are shown to the millisecond, so they compare to the millisecond: a row shown as
    12:00:00.123Z is not "> '12:00:00.123Z'" (else a delta sync would see it again)."""
    start = _moment(predicate.value, predicate.field)
    start = start.replace(microsecond=start.microsecond // 1000 * 1000)
    end = start + timedelta(milliseconds=1)
    within = Q(**{f"{lookup}__gte": start, f"{lookup}__lt": end})
    return {
        "=": within,
        "!=": ~within,
        ">": Q(**{f"{lookup}__gte": end}),
        ">=": Q(**{f"{lookup}__gte": start}),
        "<": Q(**{f"{lookup}__lt": start}),
        "<=": Q(**{f"{lookup}__lt": end}),
    }[predicate.op]


def _q(predicate: Predicate, column: Column) -> Q:
    if column.is_moment and predicate.op != "~":
        return _moment_q(predicate, column.lookup)
    if predicate.op == "!=":
        return ~Q(**{f"{column.lookup}__exact": predicate.value})
    return Q(**{f"{column.lookup}__{_LOOKUPS[predicate.op]}": predicate.value})


def filter_queryset(
    queryset: QuerySet[M],
    query: Query,
    *,
    columns: Mapping[str, Column],
    known: Sequence[str],
    special: Mapping[str, Callable[[Predicate], Q]] | None = None,
) -> QuerySet[M]:
    """The queryset filtered and sorted as the query asks, by the columns the collection maps;
    `special` turns a predicate on a field no column holds into a condition."""
    check_fields(query, known)
    special = special or {}
    conditions: list[Q] = []
    for predicate in query.predicates:
        if predicate.field in columns:
            conditions.append(_q(predicate, columns[predicate.field]))
        elif predicate.field in special:
            conditions.append(special[predicate.field](predicate))
        else:
            raise OneRosterError(
                f"This collection cannot be filtered on {predicate.field[:100]}.",
                code_minor="invalid_filter_field",
            )
    if conditions:
        combined = conditions[0]
        for condition in conditions[1:]:
            combined = (combined | condition) if query.any_of else (combined & condition)
        queryset = queryset.filter(combined)
    if query.sort:
        if query.sort not in columns:
            raise OneRosterError(f"This collection cannot be sorted on {query.sort[:100]}.")
        lookup = columns[query.sort].lookup
        queryset = queryset.order_by(f"-{lookup}" if query.descending else lookup, "pk")
    else:
        queryset = queryset.order_by("pk")
    return queryset

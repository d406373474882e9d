"""The OneRoster 1.2 CSV binding, bulk: a zip of manifest.csv and orgs, academicSessions,
courses, classes, users, roles and enrollments (.csv), with the binding's headers in its order.

Bulk mode carries the active records only, with `status` and `dateLastModified` left blank, as
the binding asks; and only records whose references are in the same zip (an enrollment in a
class that is no longer active is left out with its class). In 1.2 a user's roles are rows of
roles.csv (one per unit where they hold a seat), not columns of users.csv. The files are for
machines: cells are written as they are (no spreadsheet-formula guard, which would change the
data), UTF-8 without a byte order mark.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Sequence
from typing import Any

from access.oneroster import records
from access.oneroster import users as user_records
from access.oneroster.records import RosterScope

HEADERS: dict[str, tuple[str, ...]] = {
    "orgs": ("sourcedId", "status", "dateLastModified", "name", "type", "identifier", "parentSourcedId"),
    "academicSessions": (
        "sourcedId",
        "status",
        "dateLastModified",
        "title",
        "type",
        "startDate",
        "endDate",
        "parentSourcedId",
        "schoolYear",
    ),
    "courses": (
        "sourcedId",
        "status",
        "dateLastModified",
        "schoolYearSourcedId",
        "title",
        "courseCode",
        "grades",
        "orgSourcedId",
        "subjects",
        "subjectCodes",
    ),
    "classes": (
        "sourcedId",
        "status",
        "dateLastModified",
        "title",
        "grades",
        "courseSourcedId",
        "classCode",
        "classType",
        "location",
        "schoolSourcedId",
        "termSourcedIds",
        "subjects",
        "subjectCodes",
        "periods",
    ),
    "users": (
        "sourcedId",
        "status",
        "dateLastModified",
        "enabledUser",
        "username",
        "userIds",
        "givenName",
        "familyName",
        "middleName",
        "identifier",
        "email",
        "sms",
        "phone",
        "agentSourcedIds",
        "grades",
        "password",
        "userMasterIdentifier",
        "preferredGivenName",
        "preferredMiddleName",
        "preferredFamilyName",
        "primaryOrgSourcedId",
        "pronouns",
    ),
    "roles": (
        "sourcedId",
        "status",
        "dateLastModified",
        "userSourcedId",
        "roleType",
        "role",
        "beginDate",
        "endDate",
        "orgSourcedId",
        "userProfileSourcedId",
    ),
    "enrollments": (
        "sourcedId",
        "status",
        "dateLastModified",
        "classSourcedId",
        "schoolSourcedId",
        "userSourcedId",
        "role",
        "primary",
        "beginDate",
        "endDate",
    ),
}

# Every file the 1.2 manifest names; the ones not written are "absent".
MANIFEST_FILES = (
    "academicSessions",
    "categories",
    "classes",
    "classResources",
    "courses",
    "courseResources",
    "demographics",
    "enrollments",
    "lineItemLearningObjectiveIds",
    "lineItems",
    "lineItemScoreScales",
    "orgs",
    "resources",
    "resultLearningObjectiveIds",
    "results",
    "resultScoreScales",
    "roles",
    "scoreScales",
    "userProfiles",
    "userResources",
    "users",
)


def _csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def _active(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in rows if r["status"] == "active"]


def _row(header: Sequence[str], values: dict[str, Any]) -> list[Any]:
    return [values.get(name, "") for name in header]


def _files(scope: RosterScope) -> dict[str, list[list[Any]]]:
    orgs = _active(records.org_records(scope))
    org_ids = {o["sourcedId"] for o in orgs}
    courses = [c for c in _active(records.course_records(scope)) if c["org"]["sourcedId"] in org_ids]
    course_ids = {c["sourcedId"] for c in courses}
    classes = [
        c
        for c in _active(records.class_records(scope))
        if c["course"]["sourcedId"] in course_ids and c["school"]["sourcedId"] in org_ids
    ]
    class_ids = {c["sourcedId"] for c in classes}
    sessions = [
        s for s in _active(records.session_records(scope)) if f"offering-{s['sourcedId'][5:]}" in class_ids
    ]

    enrollments: list[list[Any]] = []
    learners: dict[int, set[str]] = {}
    for seat in records.active_seats(scope):
        record = records.enrollment_of(scope, seat)
        if record["class"]["sourcedId"] not in class_ids:
            continue
        learners.setdefault(seat.learner_id, set()).add(record["school"]["sourcedId"])
        enrollments.append(
            _row(
                HEADERS["enrollments"],
                {
                    **record,
                    "status": "",
                    "dateLastModified": "",
                    "classSourcedId": record["class"]["sourcedId"],
                    "schoolSourcedId": record["school"]["sourcedId"],
                    "userSourcedId": record["user"]["sourcedId"],
                },
            )
        )
    users: list[list[Any]] = []
    roles: list[list[Any]] = []
    for learner in user_records.seated_learners(scope):
        if learner.pk not in learners:
            continue
        user = user_records.user_of(scope, learner)
        schools = sorted(learners[learner.pk])
        users.append(
            _row(
                HEADERS["users"],
                {
                    **user,
                    "status": "",
                    "dateLastModified": "",
                    "userIds": ",".join(f"{{{i['type']}:{i['identifier']}}}" for i in user["userIds"]),
                    "primaryOrgSourcedId": schools[0],
                },
            )
        )
        for index, school in enumerate(schools):
            roles.append(
                _row(
                    HEADERS["roles"],
                    {
                        "sourcedId": f"{user['sourcedId']}-{school}",
                        "userSourcedId": user["sourcedId"],
                        "roleType": "primary" if index == 0 else "secondary",
                        "role": "student",
                        "orgSourcedId": school,
                    },
                )
            )
    blank = {"status": "", "dateLastModified": ""}
    return {
        "orgs": [
            _row(
                HEADERS["orgs"],
                {**o, **blank, "parentSourcedId": o["parent"]["sourcedId"] if "parent" in o else ""},
            )
            for o in orgs
        ],
        "academicSessions": [_row(HEADERS["academicSessions"], {**s, **blank}) for s in sessions],
        "courses": [
            _row(HEADERS["courses"], {**c, **blank, "orgSourcedId": c["org"]["sourcedId"]}) for c in courses
        ],
        "classes": [
            _row(
                HEADERS["classes"],
                {
                    **c,
                    **blank,
                    "courseSourcedId": c["course"]["sourcedId"],
                    "schoolSourcedId": c["school"]["sourcedId"],
                    "termSourcedIds": ",".join(t["sourcedId"] for t in c["terms"]),
                },
            )
            for c in classes
        ],
        "users": users,
        "roles": roles,
        "enrollments": enrollments,
    }


def roster_zip(scope: RosterScope) -> bytes:
    """The whole roster in scope as the binding's bulk zip."""
    # The binding permits no file without data rows: an empty collection is "absent".
    files = {name: rows for name, rows in _files(scope).items() if rows}
    manifest = [["manifest.version", "1.0"], ["oneroster.version", "1.2"]]
    manifest += [[f"file.{name}", "bulk" if name in files else "absent"] for name in MANIFEST_FILES]
    manifest += [["source.systemName", "Microcred"], ["source.systemCode", scope.tenant.slug]]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.csv", _csv(("propertyName", "value"), manifest))
        for name, rows in files.items():
            archive.writestr(f"{name}.csv", _csv(HEADERS[name], rows))
    return buffer.getvalue()

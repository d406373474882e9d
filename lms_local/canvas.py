"""Canvas's REST API under `/api/v1/`, for the calls Microcred makes: `Authorization: Bearer`
tokens, form-encoded parameters (query string or body), JSON answers, `Link` header pagination,
errors as `{"errors": [{"message": ...}]}` with 4xx statuses.

Written from Canvas's API documentation (developerdocs.instructure.com/services/canvas: Users
"List users in account" and "Create a user", Courses "Get a single course", Enrollments
"List enrollments", "Enroll a user" and "Conclude, deactivate, or delete an enrollment",
SIS IDs "sis_course_id:…", Pagination, Throttling).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote, urlencode

from lms_local.errors import CanvasError, not_found
from lms_local.store import Course, Enrolment, Section, Store, User

ACCOUNT_ID = 1
# The account's authentication providers: id → type (Canvas accepts either in a pseudonym).
AUTH_PROVIDERS = {"1": "canvas", "101": "openid_connect"}
ENROLLMENT_TYPES = {
    "StudentEnrollment": 3,
    "TeacherEnrollment": 4,
    "TaEnrollment": 5,
    "DesignerEnrollment": 6,
    "ObserverEnrollment": 7,
}
_TYPE_OF_ROLE = {role: kind for kind, role in ENROLLMENT_TYPES.items()}


@dataclass
class Call:
    store: Store
    params: dict[str, Any]
    ids: tuple[str, ...]
    site: str
    path: str
    headers: dict[str, str]


def _iso(moment: float | None) -> str | None:
    return None if moment is None else datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _one(params: dict[str, Any], name: str) -> str:
    value = params.get(name)
    return value if isinstance(value, str) else ""


def _many(params: dict[str, Any], name: str) -> list[str]:
    value = params.get(name)
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def _dict(params: dict[str, Any], name: str) -> dict[str, Any]:
    value = params.get(name)
    return value if isinstance(value, dict) else {}


def _user_json(user: User, *, email: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": user.id,
        "name": user.full_name,
        "created_at": "2026-01-01T00:00:00Z",
        "sortable_name": user.sortable_name,
        "short_name": user.first_name or user.full_name,
        "sis_user_id": user.idnumber or None,
        "integration_id": user.integration_id or None,
        "sis_import_id": None,
        "login_id": user.username,
    }
    if email:
        body["email"] = user.email
    return body


def _course_json(course: Course) -> dict[str, Any]:
    return {
        "id": course.id,
        "name": course.name,
        "course_code": course.shortname,
        "sis_course_id": course.idnumber or None,
        "integration_id": None,
        "uuid": f"lms-local-{course.id}",
        "account_id": ACCOUNT_ID,
        "root_account_id": ACCOUNT_ID,
        "enrollment_term_id": 1,
        "workflow_state": "available",
        "default_view": "modules",
        "is_public": False,
        "start_at": None,
        "end_at": None,
    }


def _enrollment_json(call: Call, enrolment: Enrolment) -> dict[str, Any]:
    store = call.store
    user = store.users[enrolment.user_id]
    course = store.courses[enrolment.course_id]
    kind = _TYPE_OF_ROLE[enrolment.role_id]
    body: dict[str, Any] = {
        "id": enrolment.id,
        "course_id": course.id,
        "sis_course_id": course.idnumber or None,
        "course_section_id": enrolment.section_id,
        "enrollment_state": enrolment.state,
        "limit_privileges_to_course_section": False,
        "root_account_id": ACCOUNT_ID,
        "type": kind,
        "user_id": user.id,
        "associated_user_id": None,
        "role": kind,
        "role_id": enrolment.role_id,
        "created_at": _iso(enrolment.created_at),
        "updated_at": _iso(enrolment.created_at),
        "start_at": None,
        "end_at": None,
        "completed_at": _iso(enrolment.completed_at),
        "last_activity_at": None,
        "total_activity_time": 0,
        "html_url": f"{call.site}/courses/{course.id}/users/{user.id}",
        "user": {
            "id": user.id,
            "name": user.full_name,
            "sortable_name": user.sortable_name,
            "short_name": user.first_name,
            "login_id": user.username,
        },
    }
    if kind == "StudentEnrollment":
        body["grades"] = {
            "html_url": f"{call.site}/courses/{course.id}/grades/{user.id}",
            "current_score": enrolment.score,
            "current_grade": enrolment.grade,
            "final_score": enrolment.score if enrolment.score is not None else 0.0,
            "final_grade": enrolment.grade,
        }
    return body


def _account(call: Call) -> None:
    if call.ids[0] not in ("self", str(ACCOUNT_ID)):
        raise not_found()


def course_for(store: Store, ref: str) -> Course:
    if ref.startswith("sis_course_id:"):
        course = store.course_by("idnumber", ref.removeprefix("sis_course_id:"))
    elif ref.isdigit():
        course = store.courses.get(int(ref))
    else:
        course = None
    if course is None:
        raise not_found()
    return course


def _section(store: Store, ref: str) -> tuple[Course, Section]:
    for course in store.courses.values():
        for section in course.sections:
            if str(section.id) == ref or (
                section.sis_section_id and ref == f"sis_section_id:{section.sis_section_id}"
            ):
                return course, section
    raise not_found()


def _paginate(call: Call, rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], dict[str, str]]:
    try:
        per_page = max(1, min(100, int(_one(call.params, "per_page") or 10)))
        page = max(1, int(_one(call.params, "page") or 1))
    except ValueError:
        raise CanvasError(400, "page and per_page must be integers") from None
    last = max(1, -(-len(rows) // per_page))
    base = {k: v for k, v in call.params.items() if k not in ("page", "per_page")}

    def link(number: int, rel: str) -> str:
        query = [*_flatten(base), ("page", str(number)), ("per_page", str(per_page))]
        return f'<{call.site}{call.path}?{urlencode(query)}>; rel="{rel}"'

    links = [link(page, "current")]
    if page < last:
        links.append(link(page + 1, "next"))
    if page > 1:
        links.append(link(page - 1, "prev"))
    links += [link(1, "first"), link(last, "last")]
    return rows[(page - 1) * per_page : page * per_page], {"Link": ",".join(links)}


def _flatten(params: dict[str, Any]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for key, value in params.items():
        if isinstance(value, list):
            out += [(f"{key}[]", v) for v in value if isinstance(v, str)]
        elif isinstance(value, str):
            out.append((key, value))
    return out


Answer = tuple[int, Any, dict[str, str]]


def users_self(call: Call) -> Answer:
    return (
        200,
        {
            "id": 1,
            "name": "Microcred integration",
            "sortable_name": "integration, Microcred",
            "short_name": "Microcred",
            "login_id": "microcred-integration",
        },
        {},
    )


def account(call: Call) -> Answer:
    _account(call)
    return (
        200,
        {
            "id": ACCOUNT_ID,
            "name": "Local Canvas",
            "parent_account_id": None,
            "root_account_id": None,
            "workflow_state": "active",
            "uuid": "lms-local-account",
            "default_time_zone": "UTC",
        },
        {},
    )


def account_users(call: Call) -> Answer:
    _account(call)
    term = _one(call.params, "search_term")
    if term and len(term) < 2:
        raise CanvasError(400, "search_term of 2 or more characters is required")
    email = "email" in _many(call.params, "include")
    rows = [
        _user_json(user, email=email)
        for user in sorted(call.store.users.values(), key=lambda u: u.sortable_name)
        if not term
        or any(
            term.lower() in value.lower()
            for value in (user.full_name, user.username, user.email, user.idnumber)
            if value
        )
    ]
    page, headers = _paginate(call, rows)
    return 200, page, headers


def create_user(call: Call) -> Answer:
    _account(call)
    user_params = _dict(call.params, "user")
    pseudonym = _dict(call.params, "pseudonym")
    channel = _dict(call.params, "communication_channel")
    unique_id = _one(pseudonym, "unique_id")
    if not unique_id:
        raise CanvasError(400, "pseudonym[unique_id] is required")
    provider = _one(pseudonym, "authentication_provider_id") or "1"
    provider_id = next(
        (pid for pid, kind in AUTH_PROVIDERS.items() if provider in (pid, kind)),
        None,
    )
    if provider_id is None:
        raise CanvasError(
            400, f"authentication_provider_id {provider} is not an authentication provider of this account"
        )
    taken = any(
        u.username == unique_id and (u.authentication_provider_id or "1") == provider_id
        for u in call.store.users.values()
    )
    if taken:
        return (
            400,
            {
                "errors": {
                    "user": {},
                    "pseudonym": {
                        "unique_id": [
                            {
                                "attribute": "unique_id",
                                "type": "taken",
                                "message": "ID already in use for this account and authentication provider",
                            }
                        ]
                    },
                    "observee": {},
                    "pairing_code": {},
                    "recaptcha": None,
                }
            },
            {},
        )
    name = _one(user_params, "name") or unique_id
    short = _one(user_params, "short_name") or name.split(" ")[0]
    sortable = _one(user_params, "sortable_name")
    last = sortable.split(",", 1)[0].strip() if "," in sortable else " ".join(name.split(" ")[1:])
    user = call.store.add_user(
        email=_one(channel, "address") or (unique_id if "@" in unique_id else ""),
        first_name=short,
        last_name=last,
        username=unique_id,
        idnumber=_one(pseudonym, "sis_user_id"),
        integration_id=_one(pseudonym, "integration_id"),
        authentication_provider_id=provider_id,
    )
    return 200, _user_json(user), {}


def course(call: Call) -> Answer:
    return 200, _course_json(course_for(call.store, call.ids[0])), {}


def _create_enrollment(call: Call, target: Course, section: Section | None) -> Answer:
    spec = call.params.get("enrollment")
    if not isinstance(spec, dict) or not _one(spec, "user_id"):
        raise CanvasError(
            400,
            "Can't create an enrollment without a user. Include enrollment[user_id] to create an enrollment",
        )
    kind = _one(spec, "type")
    if kind not in ENROLLMENT_TYPES:
        raise CanvasError(
            400, "Can't create an enrollment without a role. Include enrollment[type] or enrollment[role_id]"
        )
    user_ref = _one(spec, "user_id")
    user = call.store.users.get(int(user_ref)) if user_ref.isdigit() else None
    if user is None:
        raise not_found()
    section_ref = _one(spec, "course_section_id")
    if section is None and section_ref:
        section = next((s for s in target.sections if str(s.id) == section_ref), None)
        if section is None:
            raise CanvasError(400, "The course_section_id is not a section of this course")
    section = section or target.sections[0]
    state = _one(spec, "enrollment_state") or "invited"
    if state not in ("active", "invited", "inactive"):
        state = "invited"
    enrolment = call.store.enrol(
        user_id=user.id, course_id=target.id, section_id=section.id, role_id=ENROLLMENT_TYPES[kind]
    )
    enrolment.state = state
    return 200, _enrollment_json(call, enrolment), {}


def course_sections(call: Call) -> Answer:
    target = course_for(call.store, call.ids[0])
    rows = [
        {"id": s.id, "name": s.name, "course_id": target.id, "sis_section_id": s.sis_section_id or None}
        for s in target.sections
    ]
    page, headers = _paginate(call, rows)
    return 200, page, headers


def course_enroll(call: Call) -> Answer:
    return _create_enrollment(call, course_for(call.store, call.ids[0]), None)


def section_enroll(call: Call) -> Answer:
    target, section = _section(call.store, call.ids[0])
    return _create_enrollment(call, target, section)


def course_enrollments(call: Call) -> Answer:
    target = course_for(call.store, call.ids[0])
    states = _many(call.params, "state") or ["active", "invited"]
    types = _many(call.params, "type")
    user_id = _one(call.params, "user_id")
    rows = [
        _enrollment_json(call, e)
        for e in sorted(call.store.enrolments.values(), key=lambda e: e.id)
        if e.course_id == target.id
        and e.state in states
        and (not types or _TYPE_OF_ROLE[e.role_id] in types)
        and (not user_id or str(e.user_id) == user_id)
    ]
    page, headers = _paginate(call, rows)
    return 200, page, headers


def end_enrollment(call: Call) -> Answer:
    target = course_for(call.store, call.ids[0])
    enrolment = call.store.enrolments.get(int(call.ids[1])) if call.ids[1].isdigit() else None
    if enrolment is None or enrolment.course_id != target.id:
        raise not_found()
    task = _one(call.params, "task") or "conclude"
    if task == "conclude":
        if enrolment.state != "completed":
            enrolment.state = "completed"
            enrolment.completed_at = time.time()
    elif task == "delete":
        enrolment.state = "deleted"
    elif task in ("inactivate", "deactivate"):
        enrolment.state = "inactive"
    else:
        raise CanvasError(400, f"{task} is not a valid task")
    return 200, _enrollment_json(call, enrolment), {}


ROUTES: list[tuple[str, re.Pattern[str], Callable[[Call], Answer]]] = [
    ("GET", re.compile(r"^/api/v1/users/self$"), users_self),
    ("GET", re.compile(r"^/api/v1/accounts/([^/]+)$"), account),
    ("GET", re.compile(r"^/api/v1/accounts/([^/]+)/users$"), account_users),
    ("POST", re.compile(r"^/api/v1/accounts/([^/]+)/users$"), create_user),
    ("GET", re.compile(r"^/api/v1/courses/([^/]+)$"), course),
    ("GET", re.compile(r"^/api/v1/courses/([^/]+)/sections$"), course_sections),
    ("POST", re.compile(r"^/api/v1/courses/([^/]+)/enrollments$"), course_enroll),
    ("GET", re.compile(r"^/api/v1/courses/([^/]+)/enrollments$"), course_enrollments),
    ("DELETE", re.compile(r"^/api/v1/courses/([^/]+)/enrollments/([^/]+)$"), end_enrollment),
    ("POST", re.compile(r"^/api/v1/sections/([^/]+)/enrollments$"), section_enroll),
]


def answer(
    store: Store,
    *,
    token: str,
    method: str,
    path: str,
    params: dict[str, Any],
    site: str,
    headers: dict[str, str],
) -> Answer:
    """(status, JSON body, extra headers), or CanvasError. The caller holds the store's lock."""
    auth = headers.get("authorization", "")
    if not auth.startswith("Bearer "):
        return 401, {"errors": [{"message": "user authorization required"}], "status": "unauthenticated"}, {}
    if auth.removeprefix("Bearer ").strip() != token:
        raise CanvasError(
            401, "Invalid access token.", headers={"WWW-Authenticate": 'Bearer realm="canvas-lms"'}
        )
    for verb, pattern, handler in ROUTES:
        match = pattern.match(path)
        if match and verb == method:
            ids = tuple(unquote(group) for group in match.groups())
            return handler(Call(store, params, ids, site, path, headers))
    raise not_found()

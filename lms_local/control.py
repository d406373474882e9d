"""The control API under `/_control/`: never part of either LMS. Tests and the demo use it to
reset state, create courses, set learners' results as a teacher would, inject faults and read
what the double holds. JSON in, JSON out; `lms_local.client.ControlClient` wraps it.

    POST /_control/reset
    POST /_control/courses      {"name", "shortname", "idnumber"?, "id"?, "completion_enabled"?,
                                 "sections"?: [{"name", "sis_section_id"?}]}
    POST /_control/results      {"course_id", "user_id", "completed"?, "score"?, "grade"?,
                                 "completed_at"? (unix time), "conclude"? (Canvas: conclude it)}
    POST /_control/faults       {"match"?, "status"?, "times"?, "delay_ms"?, "rate_limit"?}
    DELETE /_control/faults
    POST /_control/oidc         {"issuer", "client_id", "client_secret", "name"?, "scope"?}: the
                                OAuth 2 service Moodle's login offers (lms_local.oidc); {} removes it
    GET  /_control/state        users, courses, enrolments, request counts
"""

from __future__ import annotations

import time
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from lms_local import oidc
from lms_local.store import Fault

if TYPE_CHECKING:
    from lms_local.server import LocalLms

Json = dict[str, Any]


class ControlProblem(Exception):
    pass


def _int(body: Json, key: str, default: int | None = None, minimum: int = 0) -> int:
    value = body.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise ControlProblem(f"{key} must be an integer of at least {minimum}")
    return value


def _str(body: Json, key: str, default: str | None = None) -> str:
    value = body.get(key, default)
    if not isinstance(value, str):
        raise ControlProblem(f"{key} must be a string")
    return value


def _number(body: Json, key: str) -> float | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise ControlProblem(f"{key} must be a number or null")
    return float(value)


def handle(server: LocalLms, method: str, path: str, body: Json) -> tuple[int, Json]:
    store = server.store
    route = path.removeprefix("/_control/").strip("/")
    try:
        with store.lock:
            if (method, route) == ("POST", "reset"):
                store.reset()
                server.issuer = None
                server.sessions.clear()
                return 200, {"reset": True}
            if (method, route) == ("POST", "courses"):
                sections = body.get("sections") or []
                if not isinstance(sections, list) or not all(isinstance(s, dict) for s in sections):
                    raise ControlProblem("sections must be a list of objects")
                try:
                    course = store.add_course(
                        name=_str(body, "name"),
                        shortname=_str(body, "shortname"),
                        idnumber=_str(body, "idnumber", ""),
                        course_id=_int(body, "id", minimum=1) if "id" in body else None,
                        completion_enabled=bool(body.get("completion_enabled", True)),
                        sections=[(_str(s, "name"), _str(s, "sis_section_id", "")) for s in sections],
                    )
                except ValueError as problem:
                    raise ControlProblem(str(problem)) from problem
                return 200, {"course": asdict(course)}
            if (method, route) == ("POST", "results"):
                course_id, user_id = _int(body, "course_id"), _int(body, "user_id")
                enrolment = store.enrolment(user_id=user_id, course_id=course_id)
                if enrolment is None:
                    raise ControlProblem(f"user {user_id} is not enrolled in course {course_id}")
                if "completed" in body:
                    enrolment.completed = bool(body["completed"])
                    enrolment.completion_time = (
                        float(_int(body, "completed_at", int(time.time()))) if enrolment.completed else None
                    )
                if "score" in body:
                    enrolment.score = _number(body, "score")
                if "grade" in body:
                    enrolment.grade = None if body["grade"] is None else _str(body, "grade")
                if body.get("conclude"):
                    enrolment.state = "completed"
                    enrolment.completed_at = enrolment.completion_time or time.time()
                return 200, {"enrolment": asdict(enrolment)}
            if (method, route) == ("POST", "faults"):
                status = body.get("status", 500)
                if status is not None and (not isinstance(status, int) or not 400 <= status <= 599):
                    raise ControlProblem("status must be an HTTP error status (400-599) or null")
                fault = Fault(
                    match=_str(body, "match", ""),
                    status=status,
                    times=_int(body, "times", 1, 1),
                    delay_ms=_int(body, "delay_ms", 0),
                    rate_limit=bool(body.get("rate_limit", False)),
                )
                if fault.status is None and not fault.delay_ms:
                    raise ControlProblem("a fault needs a status, a delay_ms, or both")
                store.faults.append(fault)
                return 200, {"fault": asdict(fault)}
            if (method, route) == ("POST", "oidc"):
                if not body:
                    server.issuer = None
                    return 200, {"oidc": None}
                issuer = oidc.Issuer(
                    issuer=_str(body, "issuer").rstrip("/"),
                    client_id=_str(body, "client_id"),
                    client_secret=_str(body, "client_secret"),
                    name=_str(body, "name", "your institution"),
                    scope=_str(body, "scope", "openid email profile"),
                )
                if not issuer.issuer.startswith(("http://", "https://")):
                    raise ControlProblem("issuer must be an http(s) address")
                server.issuer = issuer
                server.sessions.clear()
                return 200, {"oidc": {"issuer": issuer.issuer, "redirect_uri": server.url + oidc.CALLBACK}}
            if (method, route) == ("DELETE", "faults"):
                store.faults.clear()
                return 200, {"faults": []}
            if (method, route) == ("GET", "state"):
                return 200, {
                    "kind": server.kind,
                    "users": [asdict(u) for u in store.users.values()],
                    "courses": [asdict(c) for c in store.courses.values()],
                    "enrolments": [asdict(e) for e in store.enrolments.values()],
                    "requests": dict(store.requests),
                    "faults": [asdict(f) for f in store.faults],
                }
    except ControlProblem as problem:
        return 400, {"error": str(problem)}
    return 404, {"error": f"no control endpoint {method} /_control/{route}"}

"""Moodle's REST web-service protocol: `POST /webservice/rest/server.php` with `wstoken`,
`wsfunction` and `moodlewsrestformat=json`, parameters in PHP array syntax. Answers are JSON;
errors come with HTTP 200 as `{"exception", "errorcode", "message"}`, as Moodle's do.

The functions follow Moodle's web-service API documentation (docs.moodle.org/dev/Web_service_API_functions,
and the external function definitions in moodle/moodle: user/externallib.php,
enrol/manual/externallib.php, course/externallib.php, completion/classes/external.php,
grade/report/user/classes/external/user.php).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lms_local.errors import MoodleError, invalid_parameter
from lms_local.store import Course, Store, User

RELEASE = "4.3 (Build: 20231009)"
VERSION = "2023100900"
STUDENT_ROLE_ID = 5
TEACHER_ROLE_ID = 3
_ROLES = {5: ("Student", "student"), 3: ("Teacher", "editingteacher"), 4: ("Non-editing teacher", "teacher")}

Handler = Callable[[Store, dict[str, Any], str], Any]


def _str(params: dict[str, Any], name: str, *, required: bool = True, default: str = "") -> str:
    value = params.get(name)
    if value is None:
        if required:
            raise invalid_parameter(f"Missing required key in single structure: {name}")
        return default
    if not isinstance(value, str):
        raise invalid_parameter(f"{name} => Invalid parameter value detected: Only scalar values allowed")
    return value


def _int(params: dict[str, Any], name: str, *, required: bool = True, default: int = 0) -> int:
    raw = _str(params, name, required=required, default=str(default))
    try:
        return int(raw)
    except ValueError:
        raise invalid_parameter(f"{name} => Invalid parameter value detected: int expected") from None


def _list(params: dict[str, Any], name: str) -> list[dict[str, Any]]:
    value = params.get(name)
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise invalid_parameter(f"Missing required key in single structure: {name}")
    return value


def _user_json(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "username": user.username,
        "firstname": user.first_name,
        "lastname": user.last_name,
        "fullname": user.full_name,
        "email": user.email,
        "idnumber": user.idnumber,
        "auth": user.auth,
        "suspended": False,
        "confirmed": True,
        "lang": "en",
        "theme": "",
        "timezone": "99",
        "mailformat": 1,
        "profileimageurlsmall": "",
        "profileimageurl": "",
    }


def _course_json(course: Course) -> dict[str, Any]:
    return {
        "id": course.id,
        "fullname": course.name,
        "displayname": course.name,
        "shortname": course.shortname,
        "idnumber": course.idnumber,
        "categoryid": 1,
        "categoryname": "Microcredentials",
        "summary": "",
        "summaryformat": 1,
        "format": "topics",
        "visible": 1,
        "enablecompletion": int(course.completion_enabled),
        "startdate": 0,
        "enddate": 0,
    }


def _course(store: Store, course_id: int) -> Course:
    course = store.courses.get(course_id)
    if course is None:
        raise MoodleError(
            "invalidrecord",
            "Can't find data record in database table course.",
            exception="dml_missing_record_exception",
        )
    return course


def _user(store: Store, user_id: int) -> User:
    user = store.users.get(user_id)
    if user is None:
        raise MoodleError(
            "invalidrecord",
            "Can't find data record in database table user.",
            exception="dml_missing_record_exception",
        )
    return user


def get_site_info(store: Store, params: dict[str, Any], site: str) -> Any:
    return {
        "sitename": "Local Moodle (lms_local)",
        "username": "microcred-ws",
        "firstname": "Microcred",
        "lastname": "Web service",
        "fullname": "Microcred Web service",
        "lang": "en",
        "userid": 2,
        "siteurl": site,
        "userpictureurl": "",
        "functions": [{"name": name, "version": VERSION} for name in sorted(FUNCTIONS)],
        "downloadfiles": 0,
        "uploadfiles": 0,
        "release": RELEASE,
        "version": VERSION,
        "mobilecssurl": "",
        "advancedfeatures": [],
        "usercanmanageownfiles": False,
        "userquota": 0,
        "usermaxuploadfilesize": -1,
        "userhomepage": 1,
        "siteid": 1,
        "sitecalendartype": "gregorian",
        "usercalendartype": "gregorian",
        "theme": "boost",
    }


def get_users_by_field(store: Store, params: dict[str, Any], site: str) -> Any:
    field = _str(params, "field")
    if field not in ("id", "idnumber", "username", "email"):
        raise invalid_parameter("field => Invalid parameter value detected")
    values = params.get("values")
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise invalid_parameter("Missing required key in single structure: values")
    found = []
    for user in store.users.values():
        if field == "id":
            value = str(user.id)
        elif field == "email":
            value = user.email.lower()
        else:
            value = getattr(user, field)
        wanted = [v.lower() for v in values] if field == "email" else values
        if value and value in wanted:
            found.append(_user_json(user))
    return found


def create_users(store: Store, params: dict[str, Any], site: str) -> Any:
    created: list[dict[str, Any]] = []
    specs = _list(params, "users")
    for spec in specs:  # checked first: Moodle creates all or none
        username = _str(spec, "username")
        if username != username.lower():
            raise invalid_parameter("The username must be in lower case")
        if store.user_by_login(username) is not None:
            raise invalid_parameter(f"Username already exists: {username}")
        email = _str(spec, "email")
        if any(u.email.lower() == email.lower() for u in store.users.values()):
            raise invalid_parameter(f"Email address already exists: {email}")
        auth = _str(spec, "auth", required=False, default="manual")
        if auth == "manual" and not spec.get("password") and spec.get("createpassword") not in ("1", "true"):
            raise invalid_parameter("Invalid password: you must provide a password, or set createpassword.")
        _str(spec, "firstname")
        _str(spec, "lastname")
    for spec in specs:
        user = store.add_user(
            email=spec["email"],
            first_name=spec["firstname"],
            last_name=spec["lastname"],
            username=spec["username"],
            auth=spec.get("auth") or "manual",
            idnumber=spec.get("idnumber") or "",
        )
        created.append({"id": user.id, "username": user.username})
    return created


def _assignable(role_id: int) -> None:
    if role_id not in _ROLES:
        raise MoodleError(
            "wsusercannotassign",
            f"You don't have the permission to assign this role ({role_id}) to this user in this course.",
        )


def _context(store: Store, course_id: int, *, ignore_missing: bool) -> Course:
    """The course of a course context, as `context_course::instance(id, IGNORE_MISSING)` then
    `validate_context` (enrol) or `context_course::instance(id)` (unenrol) find it in Moodle."""
    course = store.courses.get(course_id)
    if course is not None:
        return course
    if ignore_missing:
        raise invalid_parameter("Context does not exist")
    raise MoodleError(
        "invalidrecord",
        "Can't find data record in database table context.",
        exception="dml_missing_record_exception",
    )


def enrol_users(store: Store, params: dict[str, Any], site: str) -> Any:
    for spec in _list(params, "enrolments"):
        role_id = _int(spec, "roleid")
        course = _context(store, _int(spec, "courseid"), ignore_missing=True)
        user = _user(store, _int(spec, "userid"))
        _assignable(role_id)
        store.enrol(user_id=user.id, course_id=course.id, section_id=None, role_id=role_id)
    return None


def unenrol_users(store: Store, params: dict[str, Any], site: str) -> Any:
    for spec in _list(params, "enrolments"):
        course = _context(store, _int(spec, "courseid"), ignore_missing=False)
        user_id = _int(spec, "userid")
        user = store.users.get(user_id)
        if user is None:
            raise invalid_parameter(f"User id not exist: {user_id}")
        found = store.enrolment(user_id=user.id, course_id=course.id)
        if found is not None:  # not enrolled: nothing to do, as Moodle's manual plugin
            del store.enrolments[found.id]
    return None


def get_enrolled_users(store: Store, params: dict[str, Any], site: str) -> Any:
    course = _course(store, _int(params, "courseid"))
    answer = []
    for enrolment in store.enrolments.values():
        if enrolment.course_id != course.id:
            continue
        user = store.users[enrolment.user_id]
        name, shortname = _ROLES[enrolment.role_id]
        answer.append(
            {
                **_user_json(user),
                "roles": [
                    {"roleid": enrolment.role_id, "name": name, "shortname": shortname, "sortorder": 0}
                ],
                "enrolledcourses": [
                    {"id": course.id, "fullname": course.name, "shortname": course.shortname}
                ],
            }
        )
    return answer


def get_courses_by_field(store: Store, params: dict[str, Any], site: str) -> Any:
    field = _str(params, "field", required=False)
    value = _str(params, "value", required=False)
    if field not in ("", "id", "ids", "shortname", "idnumber", "category"):
        raise invalid_parameter("field => Invalid parameter value detected")
    if not field:
        courses = list(store.courses.values())
    elif field == "ids":
        wanted = set(value.split(","))
        courses = [c for c in store.courses.values() if str(c.id) in wanted]
    elif field == "category":
        courses = list(store.courses.values())
    else:
        course = store.course_by(field, value)
        courses = [course] if course else []
    return {"courses": [_course_json(c) for c in courses], "warnings": []}


def course_completion_status(store: Store, params: dict[str, Any], site: str) -> Any:
    course = _course(store, _int(params, "courseid"))
    user = _user(store, _int(params, "userid"))
    if not course.completion_enabled:
        raise MoodleError("completionnotenabled", "Completion is not enabled")
    enrolment = store.enrolment(user_id=user.id, course_id=course.id)
    if enrolment is None or enrolment.role_id != STUDENT_ROLE_ID:
        raise MoodleError("nottracked", "You are currently not being tracked by completion in this course")
    done = enrolment.completed
    when = int(enrolment.completion_time) if done and enrolment.completion_time else None
    return {
        "completionstatus": {
            "completed": done,
            "aggregation": 1,
            "completions": [
                {
                    "type": 6,
                    "title": "Course grade",
                    "status": "Yes" if done else "No",
                    "complete": done,
                    "timecompleted": when,
                    "details": {
                        "type": "Course grade",
                        "criteria": "Course grade",
                        "requirement": "Achieving grade",
                        "status": "",
                    },
                }
            ],
        },
        "warnings": [],
    }


def grade_items(store: Store, params: dict[str, Any], site: str) -> Any:
    course = _course(store, _int(params, "courseid"))
    user_id = _int(params, "userid", required=False, default=0)
    usergrades = []
    for enrolment in store.enrolments.values():
        if enrolment.course_id != course.id or enrolment.role_id != STUDENT_ROLE_ID:
            continue
        if user_id and enrolment.user_id != user_id:
            continue
        user = store.users[enrolment.user_id]
        score = enrolment.score
        usergrades.append(
            {
                "courseid": course.id,
                "courseidnumber": course.idnumber,
                "userid": user.id,
                "userfullname": user.full_name,
                "useridnumber": user.idnumber,
                "maxdepth": 1,
                "gradeitems": [
                    {
                        "id": course.id * 10,
                        "itemname": None,
                        "itemtype": "course",
                        "itemmodule": None,
                        "iteminstance": course.id,
                        "itemnumber": None,
                        "idnumber": "",
                        "categoryid": None,
                        "outcomeid": None,
                        "scaleid": None,
                        "locked": False,
                        "graderaw": score,
                        "gradedatesubmitted": None,
                        "gradedategraded": int(enrolment.completion_time or 0) or None,
                        "gradehiddenbydate": False,
                        "gradeneedsupdate": False,
                        "gradeishidden": False,
                        "gradeislocked": False,
                        "gradeisoverridden": False,
                        "gradeformatted": enrolment.grade or ("-" if score is None else f"{score:.2f}"),
                        "grademin": 0,
                        "grademax": 100,
                        "rangeformatted": "0–100",
                        "percentageformatted": "-" if score is None else f"{score:.2f} %",
                        "feedback": "",
                        "feedbackformat": 1,
                    }
                ],
            }
        )
    return {"usergrades": usergrades, "warnings": []}


FUNCTIONS: dict[str, Handler] = {
    "core_webservice_get_site_info": get_site_info,
    "core_user_get_users_by_field": get_users_by_field,
    "core_user_create_users": create_users,
    "enrol_manual_enrol_users": enrol_users,
    "enrol_manual_unenrol_users": unenrol_users,
    "core_enrol_get_enrolled_users": get_enrolled_users,
    "core_course_get_courses_by_field": get_courses_by_field,
    "core_completion_get_course_completion_status": course_completion_status,
    "gradereport_user_get_grade_items": grade_items,
}


def answer(store: Store, *, token: str, params: dict[str, Any], site: str) -> Any:
    """One call's answer (the JSON value), or MoodleError. The caller holds the store's lock."""
    if params.get("wstoken") != token:
        raise MoodleError("invalidtoken", "Invalid token - token not found")
    name = params.get("wsfunction")
    handler = FUNCTIONS.get(name) if isinstance(name, str) else None
    if handler is None:
        raise MoodleError(
            "invalidrecord",
            "Can't find data record in database table external_functions.",
            exception="dml_missing_record_exception",
        )
    return handler(store, params, site)

"""Moodle through its REST web services (plain HTTP with timeouts): one POST per call to
`/webservice/rest/server.php` with the connection's token.

A course reference is Moodle's course id ("42": used as it is, no look-up) or its shortname
("DL-101"; "shortname:42" for a shortname made of digits), resolved to its id once and kept in
the `course_ids` the client is given (the factory's lasts across jobs) until Moodle says that id
is no course. A user is created at once with the `auth` plugin the connection names (default
"oauth2": Moodle's OAuth 2 / OpenID Connect sign-in links the account by e-mail); only when
Moodle answers that the username or e-mail exists is the user looked up (one call, by the field
Moodle named). So a new learner costs two calls (create, enrol) and a learner whose LMS user id
provisioning kept costs one (enrol). Completion is Moodle's course completion; the result is the
course total from the user grade report.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import urlencode

import requests
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from access.lms.base import CourseIds, LmsError, LmsUser, MemoryCourseIds, RemoteCompletion

T = TypeVar("T")
ENDPOINT = "/webservice/rest/server.php"
DEFAULT_STUDENT_ROLE_ID = 5
# Moodle's errorcodes for what staff must fix; anything unknown is taken as not retryable too,
# except database trouble (Moodle's dml_* read/write errors).
_RETRYABLE_CODES = {"dmlreadexception", "dmlwriteexception", "dbconnectionfailed", "sitemaintenance"}
_WORDS = {
    "invalidtoken": _lazy(
        "Moodle does not know this web-service token. Check the token on the connection page."
    ),
    "accessexception": _lazy(
        "Moodle refused the call: the token's service or user lacks the permission for it "
        "(add the function to the external service and the capability to the user's role)."
    ),
    "servicenotavailable": _lazy("The web service this token belongs to is disabled in Moodle."),
    "enablewsdescription": _lazy(
        "Web services are disabled in Moodle (Site administration → Advanced features)."
    ),
    "wsusercannotassign": _lazy(
        "Moodle refused the enrolment: the token's user may not assign this role "
        "(check the student role id and the manual enrolment method of the course)."
    ),
}


class MoodleClient:
    def __init__(
        self,
        *,
        base_url: str,
        token: str,
        student_role_id: int = DEFAULT_STUDENT_ROLE_ID,
        auth: str = "oauth2",
        timeout: float = 15.0,
        session: requests.Session | None = None,
        course_ids: CourseIds | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.student_role_id = student_role_id
        self.auth = auth
        self.timeout = timeout
        self.session = session or requests.Session()
        self.course_ids: CourseIds = course_ids if course_ids is not None else MemoryCourseIds()

    # The protocol

    def check(self) -> str:
        info = self._call("core_webservice_get_site_info")
        if not isinstance(info, dict):
            raise LmsError(
                _("Moodle's answer to core_webservice_get_site_info was not understood."), retryable=False
            )
        site, release = info.get("sitename", "Moodle"), info.get("release", "?")
        return _("%(site)s (Moodle %(release)s), signed in as %(user)s") % {
            "site": site,
            "release": release,
            "user": info.get("username", "?"),
        }

    def user_ensure(self, user: LmsUser) -> str:
        """Create the user; only if Moodle says the username or e-mail exists, find them (one call
        by the field it named; the other fields only if that finds nobody)."""
        try:
            created = self._create(user)
        except LmsError as error:
            taken = _taken(error)
            if taken is None:
                raise
            found = self._find(user, first=taken)
            if found is None:
                raise
            return found
        if not isinstance(created, list) or not created or "id" not in created[0]:
            raise LmsError(
                _("Moodle's answer to core_user_create_users was not understood."), retryable=False
            )
        return str(created[0]["id"])

    def _find(self, user: LmsUser, *, first: str) -> str | None:
        """By the field Moodle said is taken, then the others (the OIDC subject is the idnumber)."""
        values = {"username": user.email.lower(), "email": user.email, "idnumber": user.subject}
        for field in sorted(values, key=lambda f: f != first):
            found = self._call("core_user_get_users_by_field", {"field": field, "values[0]": values[field]})
            if isinstance(found, list) and found:
                return str(found[0]["id"])
        return None

    def _create(self, user: LmsUser) -> Any:
        return self._call(
            "core_user_create_users",
            {
                "users[0][username]": user.email.lower(),
                "users[0][email]": user.email,
                "users[0][firstname]": user.first_name or user.email.split("@")[0],
                "users[0][lastname]": user.last_name or "-",
                "users[0][auth]": self.auth,
                "users[0][idnumber]": user.subject,
                **({"users[0][createpassword]": "1"} if self.auth == "manual" else {}),
            },
        )

    def enrol(self, *, remote_user_id: str, course_ref: str) -> str:
        def call(course_id: int) -> None:
            self._call(
                "enrol_manual_enrol_users",
                {
                    "enrolments[0][roleid]": self.student_role_id,
                    "enrolments[0][userid]": remote_user_id,
                    "enrolments[0][courseid]": course_id,
                },
            )

        self._in_course(course_ref, call)
        return ""  # Moodle's manual enrolment answers null: no id to keep

    def unenrol(self, *, remote_user_id: str, course_ref: str, remote_enrollment_id: str) -> None:
        def call(course_id: int) -> None:
            self._call(
                "enrol_manual_unenrol_users",
                {"enrolments[0][userid]": remote_user_id, "enrolments[0][courseid]": course_id},
            )

        self._in_course(course_ref, call)

    def completions(self, *, course_ref: str) -> list[RemoteCompletion]:
        return self._in_course(course_ref, self._completions)

    def _completions(self, course_id: int) -> list[RemoteCompletion]:
        enrolled = self._call("core_enrol_get_enrolled_users", {"courseid": course_id})
        students = [
            str(user["id"])
            for user in (enrolled if isinstance(enrolled, list) else [])
            if any(role.get("roleid") == self.student_role_id for role in user.get("roles", []))
        ]
        grades = self._call("gradereport_user_get_grade_items", {"courseid": course_id, "userid": 0})
        results: dict[str, str] = {}
        for row in grades.get("usergrades", []) if isinstance(grades, dict) else []:
            total = next(
                (item for item in row.get("gradeitems", []) if item.get("itemtype") == "course"), None
            )
            formatted = (total or {}).get("gradeformatted") or ""
            results[str(row.get("userid"))] = "" if formatted == "-" else str(formatted)
        answer = []
        for user_id in students:
            status = self._call(
                "core_completion_get_course_completion_status", {"courseid": course_id, "userid": user_id}
            )
            info = status.get("completionstatus", {}) if isinstance(status, dict) else {}
            done = bool(info.get("completed"))
            times = [c.get("timecompleted") for c in info.get("completions", []) if c.get("timecompleted")]
            answer.append(
                RemoteCompletion(
                    remote_user_id=user_id,
                    completed=done,
                    result=results.get(user_id, ""),
                    completed_on=datetime.fromtimestamp(max(times), UTC).date() if done and times else None,
                )
            )
        return answer

    def course_url(self, *, course_ref: str) -> str:
        """`/course/view.php?id=…`: the id as given, or as kept when the shortname was resolved
        (no call); else `?name=` and the shortname, which Moodle's course page also takes."""
        kind, value = _course_field(course_ref)
        kept = self.course_ids.get(course_ref) if kind != "id" else None
        if kept is not None:
            kind, value = "id", str(kept)
        query = urlencode({"id" if kind == "id" else "name": value})
        return f"{self.base_url}/course/view.php?{query}"

    # Calls

    def _in_course(self, course_ref: str, call: Callable[[int], T]) -> T:
        """`call(course_id)`; when Moodle says there is no such course and the id came from the
        kept ones, forget it, look the reference up again (the course may have been made anew
        under its shortname) and call once more."""
        kept = self.course_ids.get(course_ref) is not None
        course_id = self._course_id(course_ref)
        try:
            return call(course_id)
        except LmsError as error:
            if not _no_course(error):
                raise
            self.course_ids.forget(course_ref)
            field, value = _course_field(course_ref)
            if field == "id" or not kept:
                raise self._unknown_course(field, value) from None
        again = self._course_id(course_ref)
        try:
            return call(again)
        except LmsError as error:
            if not _no_course(error):
                raise
            self.course_ids.forget(course_ref)
            raise self._unknown_course(field, value) from None

    def _course_id(self, course_ref: str) -> int:
        """A course id is used as it is (Moodle says so at the call if it is no course); a
        shortname is looked up once and kept."""
        field, value = _course_field(course_ref)
        if field == "id" and value.isdigit():
            return int(value)
        kept = self.course_ids.get(course_ref)
        if kept is not None:
            return kept
        found = self._call("core_course_get_courses_by_field", {"field": field, "value": value})
        courses = found.get("courses", []) if isinstance(found, dict) else []
        if not courses:
            raise self._unknown_course(field, value)
        course_id = int(courses[0]["id"])
        self.course_ids.set(course_ref, course_id)
        return course_id

    @staticmethod
    def _unknown_course(field: str, value: str) -> LmsError:
        return LmsError(
            (
                _("Moodle has no course with the id “%(value)s” (or the token's user cannot see it).")
                if field == "id"
                else _(
                    "Moodle has no course with the shortname “%(value)s” (or the token's user cannot see it)."
                )
            )
            % {"value": value}
            + " "
            + _("Check the offering's LMS course."),
            retryable=False,
        )

    def _call(self, function: str, params: dict[str, Any] | None = None) -> Any:
        data = {"wstoken": self.token, "wsfunction": function, "moodlewsrestformat": "json", **(params or {})}
        try:
            response = self.session.post(f"{self.base_url}{ENDPOINT}", data=data, timeout=self.timeout)
        except requests.Timeout:
            raise LmsError(
                _("Moodle did not answer within %(seconds)s seconds (%(call)s).")
                % {"seconds": f"{self.timeout:g}", "call": function},
                retryable=True,
            ) from None
        except (
            requests.exceptions.InvalidURL,
            requests.exceptions.MissingSchema,
            requests.exceptions.InvalidSchema,
        ):
            raise LmsError(
                _("The LMS address %(address)s is not a usable address. Check it on the connection page.")
                % {"address": self.base_url},
                retryable=False,
            ) from None
        except requests.RequestException as exc:
            raise LmsError(
                _("Moodle could not be reached at %(address)s: %(problem)s.")
                % {"address": self.base_url, "problem": type(exc).__name__},
                retryable=True,
            ) from None
        status = response.status_code
        if status == 404:
            raise LmsError(
                _("No Moodle web services at %(address)s (HTTP 404 for %(endpoint)s). Check the LMS address.")
                % {"address": self.base_url, "endpoint": ENDPOINT},
                retryable=False,
                status=status,
            )
        if status == 429 or status >= 500 or status == 408:
            raise LmsError(
                _("Moodle answered HTTP %(status)s to %(call)s; it will be tried again.")
                % {"status": status, "call": function},
                retryable=True,
                status=status,
            )
        if status >= 400:
            raise LmsError(
                _("Moodle answered HTTP %(status)s to %(call)s.") % {"status": status, "call": function},
                retryable=False,
                status=status,
            )
        try:
            body = response.json()
        except ValueError:
            raise LmsError(
                _(
                    "The answer from %(address)s is not Moodle web-service JSON. Check the LMS address and "
                    "that the REST protocol is enabled."
                )
                % {"address": self.base_url},
                retryable=False,
                status=status,
            ) from None
        if isinstance(body, dict) and "exception" in body and "errorcode" in body:
            code = str(body.get("errorcode"))
            said = str(body.get("message", ""))
            words = str(_WORDS.get(code) or _("Moodle refused %(call)s.") % {"call": function})
            raise LmsError(
                _("%(words)s (Moodle said: “%(said)s”, %(code)s)")
                % {"words": words, "said": said, "code": code},
                retryable=code in _RETRYABLE_CODES,
                status=status,
                code=code,
                said=said,
            )
        return body


def _taken(error: LmsError) -> str | None:
    """The field core_user_create_users said is taken ("Username already exists: …", "Email
    address already exists: …"), or None for any other refusal."""
    if error.code != "invalidparameter":
        return None
    if "Username already exists" in error.said:
        return "username"
    if "Email address already exists" in error.said:
        return "email"
    return None


def _no_course(error: LmsError) -> bool:
    """Moodle's answer for a course id that is no course: enrol_manual_enrol_users validates the
    course's context ("Context does not exist"); unenrol reads it (a missing context record)."""
    return (error.code == "invalidparameter" and "Context does not exist" in error.said) or (
        error.code == "invalidrecord" and ("table context" in error.said or "table course." in error.said)
    )


def _course_field(course_ref: str) -> tuple[str, str]:
    ref = course_ref.strip()
    if ref.startswith("shortname:"):
        return "shortname", ref.removeprefix("shortname:")
    if ref.startswith("id:"):
        return "id", ref.removeprefix("id:")
    return ("id", ref) if ref.isdigit() else ("shortname", ref)

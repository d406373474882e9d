"""Canvas through its REST API, with canvasapi (the maintained client), every request with a
timeout.

A course reference is Canvas's course id ("42") or its SIS id ("sis_course_id:DL-101", or just
"DL-101"), optionally with a section: "42/sections/7" or "42/sections/sis_section_id:DL-101-A".
Users are found in the connection's account by login (the learner's OIDC subject, the login the
account's OpenID Connect authentication provider matches) or by e-mail, else created with that
login on the configured authentication provider (Canvas lets two users share an e-mail, so
creating first could make a second user of someone already there). The account and the course
are canvasapi objects made from their ids without a call (Canvas takes `sis_course_id:…` in
course paths): a learner whose LMS user id provisioning kept costs one call (enrol), a new one
four (two searches, create, enrol). A learner leaves a course by the connection's
task (conclude, by default: grades stay readable; or delete).

Completion: Canvas has no course completion of its own; an enrollment counts as completed once
it is concluded (by the teacher, or the term's end) with a final score of at least the
connection's pass score, when one is set. The result is the final grade (or score).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any

import requests
from canvasapi import Canvas
from canvasapi.account import Account
from canvasapi.course import Course
from canvasapi.exceptions import (
    BadRequest,
    CanvasException,
    Conflict,
    Forbidden,
    InvalidAccessToken,
    RateLimitExceeded,
    ResourceDoesNotExist,
    Unauthorized,
    UnprocessableEntity,
)
from django.utils.translation import gettext as _

from access.lms.base import LmsError, LmsUser, RemoteCompletion

UNENROL_TASKS = ("conclude", "delete")


class _TimeoutSession(requests.Session):
    """canvasapi's requests go through this session: each with the timeout, the last answer kept
    (canvasapi's exceptions drop Canvas's message and the status)."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self.timeout = timeout
        self.last: requests.Response | None = None

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", self.timeout)
        self.last = None
        self.last = super().request(method, url, *args, **kwargs)  # type: ignore[arg-type]
        return self.last


class CanvasClient:
    def __init__(
        self,
        *,
        base_url: str,
        token: str,
        account_id: str = "1",
        authentication_provider_id: str = "",
        unenrol_task: str = "conclude",
        pass_score: float | None = None,
        timeout: float = 15.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.account_id = account_id or "1"
        self.authentication_provider_id = authentication_provider_id
        self.unenrol_task = unenrol_task if unenrol_task in UNENROL_TASKS else "conclude"
        self.pass_score = pass_score
        self.timeout = timeout
        with warnings.catch_warnings():
            # canvasapi warns about http:// addresses: the local doubles are http.
            warnings.simplefilter("ignore", UserWarning)
            try:
                self.canvas = Canvas(self.base_url, token)
            except ValueError:  # an address with /api/v1 in it
                raise LmsError(
                    _(
                        "The Canvas address is the site's own address, without /api/v1. "
                        "Check it on the connection page."
                    ),
                    retryable=False,
                ) from None
        self.session = _TimeoutSession(timeout)
        self._requester = self.canvas._Canvas__requester
        self._requester._session = self.session

    # The protocol

    def check(self) -> str:
        with self._calling("reading the token's user (users/self)"):
            me = self.canvas.get_current_user()
        with self._calling(
            _("reading the account %(id)s") % {"id": self.account_id}, missing=self._no_account()
        ):
            account = self._account()
        return _("Canvas at %(address)s, signed in as %(user)s, account “%(account)s”") % {
            "address": self.base_url,
            "user": me.name,
            "account": account.name,
        }

    def user_ensure(self, user: LmsUser) -> str:
        account = Account(self._requester, {"id": self._account_path()})  # no call: its id is enough
        found = self._find(account, user)
        if found is not None:
            return found
        pseudonym: dict[str, Any] = {"unique_id": user.subject, "send_confirmation": False}
        if self.authentication_provider_id:
            pseudonym["authentication_provider_id"] = self.authentication_provider_id
        name = f"{user.first_name} {user.last_name}".strip() or user.email
        try:
            with self._calling(_("creating the user"), missing=self._no_account()):
                created = account.create_user(
                    pseudonym,
                    user={
                        "name": name,
                        "short_name": user.first_name or name,
                        "sortable_name": f"{user.last_name}, {user.first_name}" if user.last_name else name,
                        "skip_registration": True,
                    },
                    communication_channel={"type": "email", "address": user.email, "skip_confirmation": True},
                )
        except LmsError:
            again = self._find(account, user)  # created meanwhile by another job: the login is taken
            if again is None:
                raise
            return again
        return str(created.id)

    def enrol(self, *, remote_user_id: str, course_ref: str) -> str:
        course, section = self._course(course_ref)
        enrollment: dict[str, Any] = {
            "type": "StudentEnrollment",
            "enrollment_state": "active",
            "notify": False,
        }
        if section:
            enrollment["course_section_id"] = self._section_id(course, section)
        with self._calling(
            _("enrolling the user %(user)s in the course %(course)s")
            % {"user": remote_user_id, "course": course_ref},
            missing=self._no_course(course_ref),
        ):
            made = course.enroll_user(int(remote_user_id), enrollment=enrollment)
        return str(made.id)

    def unenrol(self, *, remote_user_id: str, course_ref: str, remote_enrollment_id: str) -> None:
        course, _section = self._course(course_ref)
        with self._calling(
            _("reading the enrollments of the user %(user)s") % {"user": remote_user_id},
            missing=self._no_course(course_ref),
        ):
            enrollments = list(
                course.get_enrollments(
                    user_id=remote_user_id,
                    type=["StudentEnrollment"],
                    state=["active", "invited", "inactive", "completed"],
                )
            )
        for enrollment in enrollments:
            if remote_enrollment_id and str(enrollment.id) != remote_enrollment_id:
                continue
            if self.unenrol_task == "conclude" and enrollment.enrollment_state == "completed":
                continue
            try:
                with self._calling(_("ending the enrollment %(id)s") % {"id": enrollment.id}):
                    enrollment.deactivate(self.unenrol_task)
            except LmsError as error:
                if error.status != 404:  # gone meanwhile: out already
                    raise

    def completions(self, *, course_ref: str) -> list[RemoteCompletion]:
        course, section = self._course(course_ref)
        section_id = self._section_id(course, section) if section else None
        answer = []
        with self._calling(
            _("reading the enrollments of the course %(course)s") % {"course": course_ref},
            missing=self._no_course(course_ref),
        ):
            for enrollment in course.get_enrollments(
                type=["StudentEnrollment"], state=["active", "completed"], include=["grades"], per_page=100
            ):
                if section_id is not None and getattr(enrollment, "course_section_id", None) != section_id:
                    continue
                grades = getattr(enrollment, "grades", None) or {}
                score = grades.get("final_score")
                concluded = enrollment.enrollment_state == "completed"
                passed = self.pass_score is None or (score is not None and float(score) >= self.pass_score)
                graded = grades.get("current_score") is not None
                result = grades.get("final_grade") or (
                    f"{float(score):g}%" if graded and score is not None else ""
                )
                answer.append(
                    RemoteCompletion(
                        remote_user_id=str(enrollment.user_id),
                        completed=concluded and passed,
                        result=str(result),
                        completed_on=_date(getattr(enrollment, "completed_at", None)) if concluded else None,
                    )
                )
        return answer

    def course_url(self, *, course_ref: str) -> str:
        course, _section = self._course(course_ref)
        sis = str(course.id).removeprefix("sis_course_id:")
        if sis != str(course.id):  # a SIS id: the course page wants Canvas's own id
            with self._calling(
                _("reading the course %(course)s") % {"course": course_ref},
                missing=self._no_course(course_ref),
            ):
                course = self.canvas.get_course(sis, use_sis_id=True)
        return f"{self.base_url}/courses/{course.id}"

    # Helpers

    def _find(self, account: Any, user: LmsUser) -> str | None:
        """By login (the OIDC subject) first, then by e-mail: one search for a known learner."""
        email = user.email.lower()
        for term in (user.subject, user.email):
            with self._calling(_("searching the account's users"), missing=self._no_account()):
                for found in account.get_users(search_term=term, include=["email"]):
                    login = str(getattr(found, "login_id", "") or "")
                    address = str(getattr(found, "email", "") or "").lower()
                    if login == user.subject or (term == user.email and email in (address, login.lower())):
                        return str(found.id)
        return None

    def _no_account(self) -> str:
        return _("account “%(id)s”") % {"id": self.account_id}

    def _account_path(self) -> str:
        ref = self.account_id
        return ref if ref.isdigit() else "sis_account_id:" + ref.removeprefix("sis_account_id:")

    def _account(self) -> Any:
        ref = self.account_id
        if ref.isdigit():
            return self.canvas.get_account(int(ref))
        return self.canvas.get_account(ref.removeprefix("sis_account_id:"), use_sis_id=True)

    @staticmethod
    def _course_path(course_ref: str) -> tuple[str, str, str]:
        """(the course's id in API paths, what it is in words, the section part)."""
        ref, _sep, section = course_ref.strip().partition("/sections/")
        if ref.isdigit():
            return ref, _("course with the id %(value)s") % {"value": ref}, section
        value = ref.removeprefix("sis_course_id:").removeprefix("sis:")
        return "sis_course_id:" + value, _("course with the SIS id “%(value)s”") % {"value": value}, section

    def _no_course(self, course_ref: str) -> str:
        return self._course_path(course_ref)[1]

    def _course(self, course_ref: str) -> tuple[Any, str]:
        """The course as canvasapi's object, made without a call: Canvas takes its id or
        `sis_course_id:…` in every course path, and says 404 there when there is no such course."""
        path, _what, section = self._course_path(course_ref)
        return Course(self._requester, {"id": path}), section

    def _section_id(self, course: Any, section: str) -> int:
        if section.isdigit():
            return int(section)
        with self._calling(
            _("reading the sections of the course %(course)s") % {"course": course.id},
            missing=_("course %(course)s") % {"course": course.id},
        ):
            sections = list(course.get_sections())
        wanted = section.removeprefix("sis_section_id:")
        for found in sections:
            if getattr(found, "sis_section_id", None) == wanted:
                return int(found.id)
        raise LmsError(
            _("The Canvas course %(course)s has no section with the SIS id “%(section)s”.")
            % {"course": course.id, "section": wanted},
            retryable=False,
        )

    def _said(self) -> str:
        """Canvas's own message from the last answer, when it gave one."""
        last = self.session.last
        if last is None:
            return ""
        try:
            body = last.json()
        except ValueError:
            return last.text.strip()[:200]
        errors = body.get("errors") if isinstance(body, dict) else None
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            return str(errors[0].get("message", ""))
        if isinstance(errors, dict):
            return "; ".join(
                str(problem.get("message", ""))
                for group in errors.values()
                if isinstance(group, dict)
                for problems in group.values()
                if isinstance(problems, list)
                for problem in problems
                if isinstance(problem, dict)
            )
        return ""

    @contextmanager
    def _calling(self, doing: str, *, missing: str = "") -> Iterator[None]:
        """Canvas's and the network's failures, as LmsError in words, retryable or not."""
        try:
            yield
        except requests.Timeout:
            raise LmsError(
                _("Canvas did not answer within %(seconds)s seconds (%(doing)s).")
                % {"seconds": f"{self.timeout:g}", "doing": doing},
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
                _("Canvas could not be reached at %(address)s (%(doing)s): %(problem)s.")
                % {"address": self.base_url, "doing": doing, "problem": type(exc).__name__},
                retryable=True,
            ) from None
        except CanvasException as exc:
            raise self._error(exc, doing, missing) from None

    def _error(self, exc: CanvasException, doing: str, missing: str) -> LmsError:
        status = self.session.last.status_code if self.session.last is not None else None
        said = self._said()
        quoted = " " + _("(Canvas said: “%(said)s”)") % {"said": said} if said else ""
        if isinstance(exc, InvalidAccessToken | Unauthorized):
            return LmsError(
                _("Canvas refused the access token%(said)s. Check the token on the connection page.")
                % {"said": quoted},
                retryable=False,
                status=status,
            )
        if isinstance(exc, RateLimitExceeded) or (isinstance(exc, Forbidden) and "Rate Limit" in said):
            return LmsError(
                _("Canvas is throttling our calls (%(doing)s); they will be tried again.") % {"doing": doing},
                retryable=True,
                status=status,
            )
        if isinstance(exc, Forbidden):
            return LmsError(
                _("Canvas refused %(doing)s: the token's user lacks the permission%(said)s.")
                % {"doing": doing, "said": quoted},
                retryable=False,
                status=status,
            )
        if isinstance(exc, ResourceDoesNotExist):
            hint = (
                _("Check the account id on the connection page.")
                if missing == self._no_account()
                else _("Check the offering's LMS course.")
            )
            return LmsError(
                _("Canvas has no %(what)s (%(doing)s)%(said)s. %(hint)s")
                % {"what": missing or _("such record"), "doing": doing, "said": quoted, "hint": hint},
                retryable=False,
                status=status,
            )
        if isinstance(exc, BadRequest | UnprocessableEntity | Conflict):
            return LmsError(
                _("Canvas refused %(doing)s%(said)s.") % {"doing": doing, "said": quoted},
                retryable=False,
                status=status,
            )
        if status is not None and (status >= 500 or status in (408, 429)):
            return LmsError(
                _("Canvas answered HTTP %(status)s while %(doing)s; it will be tried again.")
                % {"status": status, "doing": doing},
                retryable=True,
                status=status,
            )
        return LmsError(
            _("Canvas failed while %(doing)s: %(problem)s%(said)s.")
            % {"doing": doing, "problem": exc, "said": quoted},
            retryable=False,
            status=status,
        )


def _date(value: Any) -> date | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).date()
    except ValueError:
        return None

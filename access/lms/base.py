"""What provisioning needs from an LMS, whatever its kind.

Every call has a timeout and either returns or raises `LmsError`, whose `retryable` says
whether trying again later can help (a timeout, a 5xx, a rate limit) or not (a wrong token, an
unknown course: staff must fix the connection or the offering). `message` is for staff, in
words, with what the LMS said.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Protocol


class LmsError(Exception):
    def __init__(
        self, message: str, *, retryable: bool, status: int | None = None, code: str = "", said: str = ""
    ) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable
        self.status = status  # the LMS's HTTP status, when it answered
        self.code = code  # the LMS's own error code (Moodle's errorcode), when it gave one
        self.said = said  # the LMS's own message, when it gave one


class CourseIds(Protocol):
    """The LMS's ids of course references a client resolved (a shortname, a SIS id): kept so that
    the next job does not look them up again, forgotten when the LMS says the id is no course."""

    def get(self, course_ref: str) -> int | None: ...

    def set(self, course_ref: str, course_id: int) -> None: ...

    def forget(self, course_ref: str) -> None: ...


class MemoryCourseIds:
    """CourseIds for one client object's life (the factory gives a shared one)."""

    def __init__(self) -> None:
        self._ids: dict[str, int] = {}

    def get(self, course_ref: str) -> int | None:
        return self._ids.get(course_ref)

    def set(self, course_ref: str, course_id: int) -> None:
        self._ids[course_ref] = course_id

    def forget(self, course_ref: str) -> None:
        self._ids.pop(course_ref, None)


@dataclass(frozen=True)
class LmsUser:
    """Who to find or create in the LMS."""

    email: str
    first_name: str
    last_name: str
    subject: str  # the learner's OIDC subject at this tenant: the LMS's login links to it


@dataclass(frozen=True)
class RemoteCompletion:
    """One learner's completion in an LMS course."""

    remote_user_id: str
    completed: bool
    result: str  # a grade or score as the LMS gives it, "" when none
    completed_on: date | None


class LmsClient(Protocol):
    def check(self) -> str:
        """A cheap authenticated call: what the LMS says it is ("Moodle 4.3 at …"), or LmsError."""
        ...

    def user_ensure(self, user: LmsUser) -> str:
        """The LMS's user id for this person: created, or found when they exist already."""
        ...

    def enrol(self, *, remote_user_id: str, course_ref: str) -> str:
        """Enrol as a student; idempotent. The LMS's enrollment id, or "" when it has none."""
        ...

    def unenrol(self, *, remote_user_id: str, course_ref: str, remote_enrollment_id: str) -> None:
        """Take the learner out of the course; idempotent (already out is fine)."""
        ...

    def completions(self, *, course_ref: str) -> list[RemoteCompletion]:
        """Completion and result of everyone in the course."""
        ...

    def course_url(self, *, course_ref: str) -> str:
        """Where a learner opens the course (the LMS sends them through sign-in)."""
        ...

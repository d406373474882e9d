"""The double's in-memory state, shared by its Moodle and Canvas faces: users, courses (with
sections), enrolments and their results, injected faults and request counters. One lock guards
it all; handlers hold it while they read or change anything.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, field


@dataclass
class User:
    id: int
    email: str
    first_name: str
    last_name: str
    username: str = ""  # Moodle's username; Canvas's pseudonym unique_id (the login)
    auth: str = "manual"  # Moodle's auth plugin
    idnumber: str = ""  # Moodle's idnumber; Canvas's sis_user_id
    authentication_provider_id: str = ""  # Canvas: the login's authentication provider
    integration_id: str = ""

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def sortable_name(self) -> str:
        return f"{self.last_name}, {self.first_name}" if self.last_name else self.first_name


@dataclass
class Section:
    id: int
    name: str
    sis_section_id: str = ""


@dataclass
class Course:
    id: int
    name: str
    shortname: str  # Moodle's shortname; Canvas's course_code
    idnumber: str = ""  # Moodle's idnumber; Canvas's sis_course_id
    completion_enabled: bool = True  # Moodle: completion tracking on
    sections: list[Section] = field(default_factory=list)


@dataclass
class Enrolment:
    id: int
    user_id: int
    course_id: int
    section_id: int | None
    role_id: int
    state: str = "active"  # Canvas: active, completed (concluded), deleted; Moodle: active only
    created_at: float = field(default_factory=time.time)
    completed_at: float | None = None  # Canvas: when it was concluded
    # Results, set through the control API as a teacher or a learner's progress would.
    completed: bool = False  # Moodle: course completion
    completion_time: float | None = None
    score: float | None = None  # percentage, 0-100
    grade: str | None = None  # a letter or "Pass" as the grading scheme gives it


@dataclass
class Fault:
    """The next `times` matching requests wait `delay_ms`, then answer `status` (if any).
    `match` is a path prefix (Canvas) or a wsfunction name prefix (Moodle); "" matches all."""

    match: str = ""
    status: int | None = 500
    times: int = 1
    delay_ms: int = 0
    rate_limit: bool = False  # Canvas: 403 "Rate Limit Exceeded", as Canvas throttles


class Store:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.reset()

    def reset(self) -> None:
        self._next = 100
        self.users: dict[int, User] = {}
        self.courses: dict[int, Course] = {}
        self.enrolments: dict[int, Enrolment] = {}
        self.faults: list[Fault] = []
        self.requests: Counter[str] = Counter()

    def new_id(self) -> int:
        self._next += 1
        return self._next

    def take_fault(self, name: str) -> Fault | None:
        for fault in self.faults:
            if name.startswith(fault.match):
                fault.times -= 1
                if fault.times <= 0:
                    self.faults.remove(fault)
                return fault
        return None

    # Courses

    def add_course(
        self,
        *,
        name: str,
        shortname: str,
        idnumber: str = "",
        course_id: int | None = None,
        completion_enabled: bool = True,
        sections: list[tuple[str, str]] | None = None,
    ) -> Course:
        if course_id is not None and course_id in self.courses:
            raise ValueError(f"course {course_id} exists")
        if any(c.shortname == shortname for c in self.courses.values()):
            raise ValueError(f"shortname {shortname!r} is taken")
        if idnumber and any(c.idnumber == idnumber for c in self.courses.values()):
            raise ValueError(f"idnumber {idnumber!r} is taken")
        course = Course(
            id=course_id or self.new_id(),
            name=name,
            shortname=shortname,
            idnumber=idnumber,
            completion_enabled=completion_enabled,
        )
        course.sections.append(Section(id=self.new_id(), name=name))  # Canvas's default section
        for section_name, sis_id in sections or []:
            course.sections.append(Section(id=self.new_id(), name=section_name, sis_section_id=sis_id))
        self.courses[course.id] = course
        return course

    def course_by(self, field_name: str, value: str) -> Course | None:
        for course in self.courses.values():
            if field_name == "id" and str(course.id) == value:
                return course
            if field_name == "shortname" and course.shortname == value:
                return course
            if field_name == "idnumber" and course.idnumber and course.idnumber == value:
                return course
        return None

    # Users

    def add_user(self, **fields: str) -> User:
        user = User(id=self.new_id(), **fields)
        self.users[user.id] = user
        return user

    def user_for_login(self, *, subject: str, email: str) -> User | None:
        """Who an OpenID Connect sign-in is: by idnumber (the subject), else by e-mail."""
        by_subject = next((u for u in self.users.values() if u.idnumber and u.idnumber == subject), None)
        if by_subject is not None or not email:
            return by_subject
        return next((u for u in self.users.values() if u.email.lower() == email.lower()), None)

    def user_by_login(self, value: str) -> User | None:
        return next((u for u in self.users.values() if u.username and u.username == value), None)

    # Enrolments

    def enrolment(self, *, user_id: int, course_id: int, section_id: int | None = None) -> Enrolment | None:
        for enrolment in self.enrolments.values():
            if (
                enrolment.user_id == user_id
                and enrolment.course_id == course_id
                and (section_id is None or enrolment.section_id == section_id)
            ):
                return enrolment
        return None

    def enrol(self, *, user_id: int, course_id: int, section_id: int | None, role_id: int) -> Enrolment:
        """Idempotent, as both LMSs are: an existing enrolment is reactivated and returned."""
        found = self.enrolment(user_id=user_id, course_id=course_id, section_id=section_id)
        if found is not None:
            found.state, found.completed_at, found.role_id = "active", None, role_id
            return found
        enrolment = Enrolment(
            id=self.new_id(), user_id=user_id, course_id=course_id, section_id=section_id, role_id=role_id
        )
        self.enrolments[enrolment.id] = enrolment
        return enrolment

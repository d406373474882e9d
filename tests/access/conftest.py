"""Provisioning's world: a unit with an LMS connection, a free offering with an LMS course, and
an in-memory LMS (a test double of the external LMS, implementing access.lms.base.LmsClient)
with fault injection, put where provisioning gets its client. And the local LMS doubles
(lms_local), each a real HTTP server on a free port for the session, reset before each test."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

import lms_local
from access.lms.base import LmsError, LmsUser, RemoteCompletion
from access.models import ClaimGroup, LmsConnection, LmsKind
from access.services import provisioning
from access.services.relying_parties import Registered, relying_party_create
from catalog.models import Offering
from core import jobs
from enrollment import services
from enrollment.models import Enrollment, EnrollmentStatus
from identity.models import User
from lms_local.server import LocalLms
from tests.catalog.factories import OfferingFactory
from tests.factories import TenantFactory, UnitFactory, UserFactory

FAULTS = {
    "500": lambda: LmsError(
        "Moodle answered 500 Internal Server Error: error/dmlwriteexception", retryable=True, status=500
    ),
    "timeout": lambda: LmsError("Moodle did not answer within 10 seconds.", retryable=True),
    "token": lambda: LmsError(
        "Moodle refused the token (invalidtoken): check the connection.", retryable=False, status=403
    ),
}


@dataclass
class InMemoryLms:
    """Users, enrolments and completions of one LMS, and every call made to it."""

    users: dict[str, str] = field(default_factory=dict)  # e-mail → remote user id
    enrolled: dict[tuple[str, str], str] = field(default_factory=dict)  # (user, course) → enrolment id
    completed: dict[tuple[str, str], RemoteCompletion] = field(default_factory=dict)
    calls: list[tuple[str, str]] = field(default_factory=list)
    fail_next: list[str] = field(default_factory=list)  # one fault per coming call
    fail_always: str = ""
    delay: float = 0.0
    atomic_depth: int | None = None  # the test's own transaction depth: no call may run deeper
    deeper: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def _call(self, name: str, arg: str) -> None:
        if self.atomic_depth is not None and len(connection.atomic_blocks) > self.atomic_depth:
            self.deeper.append(name)  # called inside a transaction: a lock could be held
        with self.lock:
            self.calls.append((name, arg))
            fault = self.fail_next.pop(0) if self.fail_next else self.fail_always
        if self.delay:
            time.sleep(self.delay)
        if fault:
            raise FAULTS[fault]()

    def count(self, name: str) -> int:
        return sum(1 for call, _arg in self.calls if call == name)

    def check(self) -> str:
        self._call("check", "")
        return "Moodle 4.3 (in memory)"

    def user_ensure(self, user: LmsUser) -> str:
        self._call("user_ensure", user.email)
        with self.lock:
            return self.users.setdefault(user.email, f"u{len(self.users) + 1}")

    def enrol(self, *, remote_user_id: str, course_ref: str) -> str:
        self._call("enrol", f"{remote_user_id}@{course_ref}")
        with self.lock:
            return self.enrolled.setdefault((remote_user_id, course_ref), f"e{len(self.enrolled) + 1}")

    def unenrol(self, *, remote_user_id: str, course_ref: str, remote_enrollment_id: str) -> None:
        self._call("unenrol", f"{remote_user_id}@{course_ref}")
        with self.lock:
            self.enrolled.pop((remote_user_id, course_ref), None)

    def completions(self, *, course_ref: str) -> list[RemoteCompletion]:
        self._call("completions", course_ref)
        return [c for (user, course), c in self.completed.items() if course == course_ref]

    def course_url(self, *, course_ref: str) -> str:
        return f"https://lms.example.test/course/view.php?name={course_ref}"

    def in_course(self, email: str, course_ref: str) -> bool:
        user = self.users.get(email)
        return user is not None and (user, course_ref) in self.enrolled

    def complete(self, email: str, course_ref: str, *, result: str = "A", on: date | None = None) -> None:
        user = self.users[email]
        self.completed[(user, course_ref)] = RemoteCompletion(user, True, result, on or timezone.localdate())


@pytest.fixture
def lms(monkeypatch) -> InMemoryLms:
    fake = InMemoryLms()
    monkeypatch.setattr(provisioning, "_client", lambda connection: fake)
    monkeypatch.setattr(
        provisioning, "_subject", lambda *, tenant_id, learner: f"sub-{tenant_id}-{learner.pk}"
    )
    return fake


@pytest.fixture
def sent(monkeypatch) -> list[tuple[str, tuple[Any, ...]]]:
    """access's jobs sent by name (core.jobs.enqueue), recorded instead of handed to the broker
    (other apps' jobs, e.g. enrollment's e-mails, are dropped)."""
    found: list[tuple[str, tuple[Any, ...]]] = []

    def enqueue(name: str, *args: Any, **kwargs: Any) -> bool:
        if name.startswith("access."):
            found.append((name, args))
        return True

    monkeypatch.setattr(jobs, "enqueue", enqueue)
    return found


def make_connection(world, *, tenant_wide: bool = False, grace_days: int = 0, **fields) -> LmsConnection:
    """Unit 1's LMS (`tenant_wide`: the tenant's, for every unit without its own)."""
    return LmsConnection.objects.create(
        tenant=world.a,
        unit=None if tenant_wide else world.a_unit1,
        kind=fields.pop("kind", LmsKind.MOODLE),
        base_url="https://lms.example.test",
        grace_days=grace_days,
        **fields,
    )


def make_offering(world, course_ref: str = "DATA-101", **fields) -> Offering:
    defaults = {
        "microcredential__unit": world.a_unit1,
        "capacity": 5,
        "price_minor": 0,
        "lms_course_ref": course_ref,
        "starts_at": timezone.now() - timedelta(days=3),
        "ends_at": timezone.now() + timedelta(days=30),
        "enrollment_closes_at": timezone.now() + timedelta(days=10),
    }
    return OfferingFactory.create(**{**defaults, **fields})


def enrol(world, offering: Offering, learner: User) -> Enrollment:
    done = services.enrollment_create(
        tenant=world.a, learner=learner, offering_id=offering.pk, actor=world.a_unit1_admin, by_staff=True
    )
    return done.enrollment


TOKEN = "t0ken-for-tests"


@pytest.fixture(scope="session")
def moodle_server() -> Iterator[LocalLms]:
    with lms_local.running(kind="moodle", token=TOKEN) as server:
        yield server


@pytest.fixture(scope="session")
def canvas_server() -> Iterator[LocalLms]:
    with lms_local.running(kind="canvas", token=TOKEN) as server:
        yield server


@pytest.fixture
def moodle(moodle_server: LocalLms) -> LocalLms:
    moodle_server.control.reset()
    return moodle_server


@pytest.fixture
def canvas(canvas_server: LocalLms) -> LocalLms:
    canvas_server.control.reset()
    return canvas_server


REDIRECT = "https://lms.example.test/auth/oidc/callback"


@dataclass
class Provider:
    url: str  # tenant A's site address (the live server on "localhost")
    other_url: str  # tenant B's (the same server on "127.0.0.1")
    tenant: object
    other: object
    unit: object
    learner: User
    enrollment: Enrollment
    lms: Registered  # tenant A's first-party LMS, every claim group
    library: Registered  # tenant A's library proxy: entitlements only, consent screen
    other_lms: Registered  # tenant B's


@pytest.fixture
def provider(live_server, settings, monkeypatch) -> Provider:
    # The live server answers each request in a thread of its own: close its connection after
    # the request, or the test database cannot be dropped at the end.
    monkeypatch.setitem(settings.DATABASES["default"], "CONN_MAX_AGE", 0)
    port = live_server.url.rsplit(":", 1)[1]
    settings.PUBLIC_PORT = port
    a = TenantFactory.create(slug="alpha", name="Alpha University", hosts=["localhost"])
    b = TenantFactory.create(slug="beta", name="Beta College", hosts=["127.0.0.1"])
    unit = UnitFactory.create(tenant=a, slug="nursing", name="Alpha Nursing")
    learner = UserFactory.create(email="ada@learners.test", full_name="Ada King Lovelace")
    offering = OfferingFactory.create(
        microcredential__unit=unit,
        microcredential__title="Wound care",
        lms_course_ref="NURS-101",
        starts_at=timezone.now() + timedelta(days=3),
        seats_taken=1,
    )
    enrollment = Enrollment.objects.create(
        tenant=a, offering=offering, learner=learner, status=EnrollmentStatus.CONFIRMED
    )
    lms = relying_party_create(
        tenant=a,
        name="Nursing Moodle",
        unit=unit,
        redirect_uris=REDIRECT,
        claims=ClaimGroup.values,
        first_party=True,
    )
    library = relying_party_create(
        tenant=a,
        name="Library proxy",
        unit=None,
        redirect_uris="https://proxy.example.test/oidc",
        claims=[ClaimGroup.ENTITLEMENTS],
        first_party=False,
    )
    other_lms = relying_party_create(
        tenant=b,
        name="Beta LMS",
        unit=None,
        redirect_uris=REDIRECT,
        claims=ClaimGroup.values,
        first_party=True,
    )
    return Provider(
        url=f"http://localhost:{port}",
        other_url=f"http://127.0.0.1:{port}",
        tenant=a,
        other=b,
        unit=unit,
        learner=learner,
        enrollment=enrollment,
        lms=lms,
        library=library,
        other_lms=other_lms,
    )

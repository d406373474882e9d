"""The invariants under real parallel connections: threads, each with its own PostgreSQL
connection, against a committed database (transactional_db).

"Arrival order" is checked the way a user could see it: when one learner's request finished
before another's began, the first must not end up behind the second.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import Any

import pytest
from django.db import close_old_connections, connection
from django.utils import timezone

from catalog.models import Offering
from enrollment import selectors, services
from enrollment.models import SEAT_STATES, Enrollment, EnrollmentEvent, EnrollmentStatus
from enrollment.services import enroll, idempotency, messages
from identity.models import User
from tests.enrollment.conftest import make_offering

pytestmark = pytest.mark.django_db(transaction=True)
S = EnrollmentStatus
WORKERS = 16


@pytest.fixture(autouse=True)
def _no_mail_queue(monkeypatch):
    """The outbox rows are written; nothing is handed to the broker."""
    monkeypatch.setattr(messages, "enqueue_after_commit", lambda task, message_id: None)


@dataclass
class Call:
    name: str
    started: float = 0.0
    finished: float = 0.0
    result: Any = None
    error: BaseException | None = None


def run_parallel(jobs: list[tuple[str, Callable[[], Any]]], workers: int = WORKERS) -> dict[str, Call]:
    """Run the jobs in this order of arrival on `workers` threads, each with its own connection."""
    pending: queue.Queue[tuple[str, Callable[[], Any]]] = queue.Queue()
    for job in jobs:
        pending.put(job)
    calls: dict[str, Call] = {}
    start = threading.Barrier(workers)

    def worker() -> None:
        try:
            start.wait(10)
            while True:
                try:
                    name, job = pending.get_nowait()
                except queue.Empty:
                    return
                call = calls[name] = Call(name, started=time.monotonic())
                try:
                    call.result = job()
                except Exception as exc:  # noqa: BLE001 - the test inspects every outcome
                    call.error = exc
                call.finished = time.monotonic()
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(thread.is_alive() for thread in threads)
    return calls


def make_learners(n: int, prefix: str) -> list[User]:
    return User.objects.bulk_create([User(email=f"{prefix}{i}@example.test") for i in range(n)])


def seat_rows(offering: Offering) -> int:
    return Enrollment.objects.filter(offering=offering, status__in=sorted(SEAT_STATES)).count()


def fifo_violations(calls: dict[str, Call], rows: dict[str, Enrollment]) -> list[tuple[str, str]]:
    """Pairs (a, b) where a's request ended before b's began, yet b is ahead of a: b got a seat
    while a waits, or both wait and b is nearer the head."""
    found = []
    finished = sorted(calls.values(), key=lambda c: c.finished)
    for a in finished:
        row_a = rows.get(a.name)
        if row_a is None or row_a.status != S.WAITLISTED:
            continue
        for b in calls.values():
            row_b = rows.get(b.name)
            if row_b is None or b.started <= a.finished:
                continue
            if row_b.status in SEAT_STATES or (
                row_b.status == S.WAITLISTED and row_b.arrival < row_a.arrival
            ):
                found.append((a.name, b.name))
    return found


def _flash_sale(
    world, learners: int, capacity: int
) -> tuple[Offering, dict[str, Call], dict[str, Enrollment]]:
    offering = make_offering(world, capacity=capacity, price_minor=9900, seat_hold_minutes=30)
    people = make_learners(learners, "racer")
    jobs: list[tuple[str, Callable[[], Any]]] = [
        (
            person.email,
            partial(services.enrollment_create, tenant=world.a, learner=person, offering_id=offering.pk),
        )
        for person in people
    ]
    calls = run_parallel(jobs)
    rows = {
        e.learner.email: e for e in Enrollment.objects.filter(offering=offering).select_related("learner")
    }
    return offering, calls, rows


def test_200_learners_racing_for_20_seats(world):
    offering, calls, rows = _flash_sale(world, learners=200, capacity=20)

    assert [c.error for c in calls.values() if c.error] == []
    offering.refresh_from_db()
    assert offering.seats_taken == 20
    assert seat_rows(offering) == 20
    waiting = sorted((e for e in rows.values() if e.status == S.WAITLISTED), key=lambda e: e.arrival)
    assert len(waiting) == 180
    # The wait-list positions run 1..180 in arrival order, and each learner was told exactly
    # theirs, though 16 joined at a time (nobody left: the place told is the place held).
    assert [selectors.waitlist_position(e) for e in waiting] == list(range(1, 181))
    assert [calls[e.learner.email].result.waitlist_position for e in waiting] == list(range(1, 181))
    assert fifo_violations(calls, rows) == []


def _take_seat_check_then_act(*, tenant, offering_id: int, count: int = 1) -> bool:
    """The race the conditional UPDATE prevents: read the counter, decide, write it back."""
    taken, capacity = (
        Offering.objects.filter(tenant=tenant, pk=offering_id).values_list("seats_taken", "capacity").get()
    )
    if taken + count > capacity:
        return False
    Offering.objects.filter(pk=offering_id).update(seats_taken=taken + count)
    return True


def test_negative_control_without_locking_the_same_race_oversells(world, monkeypatch):
    """The test above can fail: the enroll path with a check-then-act seat instead of the
    conditional UPDATE, in the same race, gives out more seats than there are."""
    monkeypatch.setattr(enroll, "offering_seats_take", _take_seat_check_then_act)
    offering, _calls, _rows = _flash_sale(world, learners=200, capacity=20)
    # The counter never passes capacity (lost updates), but more learners hold seats than exist.
    assert seat_rows(offering) > 20


def test_cancellations_expiries_and_the_job_race_new_enrollments(world):
    capacity = 20
    offering = make_offering(world, capacity=capacity, price_minor=9900, seat_hold_minutes=30)
    past = timezone.now() - timedelta(minutes=40)  # these holds ran out ten minutes ago
    holders = make_learners(capacity, "holder")
    for i, person in enumerate(holders):
        services.enrollment_create(
            tenant=world.a, learner=person, offering_id=offering.pk, now=past if i % 2 else None
        )
    waiters = make_learners(30, "waiter")
    for person in waiters:
        services.enrollment_create(tenant=world.a, learner=person, offering_id=offering.pk)
    newcomers = make_learners(40, "newcomer")
    held = {e.learner_id: e.pk for e in Enrollment.objects.filter(offering=offering, status=S.HELD)}

    jobs: list[tuple[str, Callable[[], Any]]] = []
    for i in range(capacity):
        if i % 2 == 0:  # the other half expires
            person = holders[i]
            jobs.append(
                (
                    f"cancel{i}",
                    partial(
                        services.enrollment_cancel,
                        tenant=world.a,
                        learner=person,
                        enrollment_id=held[person.pk],
                    ),
                )
            )
        jobs.append((f"job{i}", services.enrollments_expire_due))
        jobs.append((f"sweep{i}", services.waitlists_sweep))
        for person in newcomers[2 * i : 2 * i + 2]:
            jobs.append(
                (
                    person.email,
                    partial(
                        services.enrollment_create, tenant=world.a, learner=person, offering_id=offering.pk
                    ),
                )
            )
    calls = run_parallel(jobs)

    assert [c.error for c in calls.values() if c.error] == []
    offering.refresh_from_db()
    assert offering.seats_taken == seat_rows(offering) == capacity
    # Every freed seat went to the wait-list, oldest first: the 20 oldest waiters hold offers,
    # everyone after them (10 waiters, then the 40 newcomers) still waits, none skipped.
    queue_rows = list(
        Enrollment.objects.filter(offering=offering, learner__email__regex=r"^(waiter|newcomer)")
        .order_by("arrival")
        .values_list("learner__email", "status")
    )
    assert [status for _email, status in queue_rows] == [S.OFFERED] * 20 + [S.WAITLISTED] * 50
    assert {email for email, status in queue_rows if status == S.OFFERED} == {
        f"waiter{i}@example.test" for i in range(20)
    }
    # Each expired hold expired once, however many jobs ran at the same time.
    assert EnrollmentEvent.objects.filter(enrollment__offering=offering, action="hold_expired").count() == 10


def test_offers_racing_with_accepts_declines_and_the_job_never_oversell(world):
    offering = make_offering(world, capacity=5, price_minor=0)
    holders = make_learners(5, "holder")
    waiters = make_learners(15, "waiter")
    for person in [*holders, *waiters]:
        services.enrollment_create(tenant=world.a, learner=person, offering_id=offering.pk)
    confirmed = list(Enrollment.objects.filter(offering=offering, status=S.CONFIRMED))
    jobs: list[tuple[str, Callable[[], Any]]] = [
        (
            f"cancel{e.pk}",
            partial(services.enrollment_cancel, tenant=world.a, learner=e.learner, enrollment_id=e.pk),
        )
        for e in confirmed
    ]
    waiting = list(Enrollment.objects.filter(offering=offering, status=S.WAITLISTED).order_by("arrival"))
    for i, e in enumerate(waiting):
        if i % 3 == 0:
            jobs.append(
                (
                    f"accept{e.pk}",
                    partial(services.offer_accept, tenant=world.a, enrollment_id=e.pk, learner=e.learner),
                )
            )
        elif i % 3 == 1:
            jobs.append(
                (
                    f"decline{e.pk}",
                    partial(services.offer_decline, tenant=world.a, enrollment_id=e.pk, learner=e.learner),
                )
            )
        jobs.append((f"job{e.pk}", services.enrollments_expire_due))
    run_parallel(jobs)  # accepting or declining before the offer arrives is refused: that is fine

    offering.refresh_from_db()
    assert offering.seats_taken == seat_rows(offering) <= 5
    still_waiting = list(Enrollment.objects.filter(offering=offering, status=S.WAITLISTED))
    if still_waiting:  # then no seat may be free: it would have been offered on
        assert offering.seats_taken == 5
        given = Enrollment.objects.filter(
            offering=offering, status__in=[S.OFFERED, S.CONFIRMED], learner__email__startswith="waiter"
        )
        assert max(e.arrival for e in given) < min(e.arrival for e in still_waiting)


def test_a_retried_idempotent_request_enrolls_once(world):
    offering = make_offering(world, capacity=5)
    fingerprint = idempotency.fingerprint("POST", "/api/v1/enrollments/", {"offering": offering.pk})

    def attempt() -> idempotency.Answer:
        def run() -> idempotency.Answer:
            result = services.enrollment_create(
                tenant=world.a, learner=world.learner, offering_id=offering.pk
            )
            return idempotency.Answer(201, {"id": result.enrollment.pk, "status": result.enrollment.status})

        return idempotency.idempotent(
            tenant=world.a, user=world.learner, key="retry-me", request_fingerprint=fingerprint, run=run
        )

    calls = run_parallel([(f"try{i}", attempt) for i in range(8)], workers=8)

    answers = [c.result for c in calls.values()]
    assert [c.error for c in calls.values() if c.error] == []
    assert Enrollment.objects.filter(learner=world.learner).count() == 1
    enrollment = Enrollment.objects.get(learner=world.learner)
    assert {(a.status, a.body["id"], a.body["status"]) for a in answers} == {
        (201, enrollment.pk, "confirmed")
    }
    assert sorted(a.replayed for a in answers) == [False] + [True] * 7
    offering.refresh_from_db()
    assert offering.seats_taken == 1


def test_120_learners_racing_through_the_api_with_keys_are_told_exact_places(world):
    """Through the API with an Idempotency-Key, the answer is rendered after the enrollment and
    stored with the key in its transaction: the places told still run 1..N in arrival order,
    each answer is the one stored with its key, and a retry replays it."""
    from rest_framework.test import APIClient

    from enrollment.models import IdempotencyRecord

    offering = make_offering(world, capacity=10, price_minor=9900, seat_hold_minutes=30)
    people = make_learners(120, "keyed")
    host = world.a.domains.get(is_primary=True).host

    def post(person: User) -> Any:
        client = APIClient(HTTP_HOST=host)
        client.force_authenticate(person)
        return client.post(
            "/api/v1/enrollments/",
            {"offering": offering.pk},
            format="json",
            HTTP_IDEMPOTENCY_KEY=f"key-{person.pk}",
        )

    calls = run_parallel([(p.email, partial(post, p)) for p in people])

    assert [c.error for c in calls.values() if c.error] == []
    assert {c.result.status_code for c in calls.values()} == {201}
    rows = {
        e.learner.email: e for e in Enrollment.objects.filter(offering=offering).select_related("learner")
    }
    offering.refresh_from_db()
    assert (offering.seats_taken, seat_rows(offering)) == (10, 10)
    waiting = sorted((e for e in rows.values() if e.status == S.WAITLISTED), key=lambda e: e.arrival)
    bodies = [calls[e.learner.email].result.json() for e in waiting]
    assert [b["waitlist_position"] for b in bodies] == list(range(1, 111))
    assert [b["id"] for b in bodies] == [e.pk for e in waiting]
    assert [b["next_step"]["text"] for b in bodies[:2]] == [
        "You are number 1 on the wait-list. We will e-mail you when a seat frees.",
        "You are number 2 on the wait-list. We will e-mail you when a seat frees.",
    ]
    for email, call in calls.items():
        record = IdempotencyRecord.objects.get(user__email=email, key=f"key-{rows[email].learner_id}")
        assert record.body == call.result.json()
        assert record.body["id"] == rows[email].pk
    assert fifo_violations(calls, rows) == []
    again = post(waiting[5].learner)
    assert (again.status_code, again["Idempotent-Replayed"]) == (201, "true")
    assert again.json() == bodies[5]
    assert Enrollment.objects.filter(offering=offering).count() == 120


def test_a_retried_api_request_racing_itself_enrolls_once(world):
    """Eight copies of one keyed request at once, on a full offering: one joins the wait-list,
    seven replay its answer."""
    from rest_framework.test import APIClient

    offering = make_offering(world, capacity=1)
    services.enrollment_create(tenant=world.a, learner=make_learners(1, "holder")[0], offering_id=offering.pk)
    host = world.a.domains.get(is_primary=True).host

    def post() -> Any:
        client = APIClient(HTTP_HOST=host)
        client.force_authenticate(world.learner)
        return client.post(
            "/api/v1/enrollments/", {"offering": offering.pk}, format="json", HTTP_IDEMPOTENCY_KEY="same"
        )

    calls = run_parallel([(f"try{i}", post) for i in range(8)], workers=8)

    assert [c.error for c in calls.values() if c.error] == []
    answers = [c.result for c in calls.values()]
    enrollment = Enrollment.objects.get(learner=world.learner)
    assert {(a.status_code, a.json()["id"], a.json()["waitlist_position"]) for a in answers} == {
        (201, enrollment.pk, 1)
    }
    assert sorted(a.has_header("Idempotent-Replayed") for a in answers) == [False] + [True] * 7


def test_a_key_reused_for_a_wait_list_outside_any_transaction_writes_nothing(world):
    """Committed database, no transaction around the request (as in production): the second
    request's wait-list entry and its answer are one transaction, so the key's unique index
    undoes the entry too, and the count of waiting learners is unchanged."""
    from rest_framework.test import APIClient

    from enrollment.models import WaitlistCount

    first, second = (make_offering(world, capacity=1) for _ in range(2))
    holders = make_learners(2, "seated")
    for holder, offering in zip(holders, (first, second), strict=True):
        services.enrollment_create(tenant=world.a, learner=holder, offering_id=offering.pk)
    client = APIClient(HTTP_HOST=world.a.domains.get(is_primary=True).host)
    client.force_authenticate(world.learner)

    joined = client.post(
        "/api/v1/enrollments/", {"offering": first.pk}, format="json", HTTP_IDEMPOTENCY_KEY="k"
    )
    reused = client.post(
        "/api/v1/enrollments/", {"offering": second.pk}, format="json", HTTP_IDEMPOTENCY_KEY="k"
    )

    assert (joined.status_code, joined.json()["waitlist_position"]) == (201, 1)
    assert (reused.status_code, reused.json()["error"]["code"]) == (422, "idempotency_key_reused")
    assert list(Enrollment.objects.filter(learner=world.learner).values_list("offering_id", flat=True)) == [
        first.pk
    ]
    count = WaitlistCount.objects.filter(offering=second).values_list("waiting", flat=True).first()
    assert count in (None, 0)

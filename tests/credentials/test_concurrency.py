"""Exactly one credential per completion, and no shared status index, under real parallel
connections (threads, each with its own PostgreSQL connection, on a committed database)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import pytest
from django.db import IntegrityError, connection

from credentials.models import Credential, CredentialMessage, IssuerKey
from credentials.services import issue, locks
from enrollment.models import Enrollment
from tests.credentials.conftest import completed_enrollment

pytestmark = pytest.mark.django_db(transaction=True)
WORKERS = 8


@pytest.fixture(autouse=True)
def _no_broker(monkeypatch):
    monkeypatch.setattr("core.jobs.enqueue", lambda *args, **kwargs: True)


def run_parallel(jobs: Sequence[Callable[[], Any]]) -> tuple[list[Any], list[BaseException]]:
    start = threading.Barrier(len(jobs))
    results: list[Any] = []
    errors: list[BaseException] = []

    def run(job: Callable[[], Any]) -> None:
        try:
            start.wait(10)
            results.append(job())
        except Exception as exc:  # noqa: BLE001 - the test inspects every outcome
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(thread.is_alive() for thread in threads)
    return results, errors


def test_concurrent_jobs_for_one_completion_issue_one_credential(world):
    enrollment = completed_enrollment(world)
    results, errors = run_parallel([lambda: issue.credential_issue(enrollment_id=enrollment.pk)] * WORKERS)
    assert errors == []
    assert len({c.pk for c in results}) == 1
    assert Credential.objects.filter(enrollment=enrollment).count() == 1
    assert CredentialMessage.objects.count() == 1
    assert IssuerKey.objects.filter(unit=world.a_unit1).count() == 1  # the first key, made once


def test_concurrent_completions_of_one_unit_take_distinct_indexes(world):
    enrollments = [completed_enrollment(world) for _ in range(WORKERS)]
    jobs = [lambda e=e: issue.credential_issue(enrollment_id=e.pk) for e in enrollments]
    results, errors = run_parallel(jobs)
    assert errors == []
    assert sorted(c.status_index for c in results) == list(range(WORKERS))


def test_negative_control_without_the_enrollment_lock_the_race_is_seen(world, monkeypatch):
    """Proves the first test can fail: unlocked, concurrent jobs both try to issue, and only the
    database's partial unique index stops the second credential."""
    enrollment = completed_enrollment(world)

    def unlocked(*, enrollment_id: int) -> Enrollment | None:
        found = (
            Enrollment.objects.select_related("offering__microcredential__unit__tenant", "learner")
            .filter(pk=enrollment_id)
            .first()
        )
        time.sleep(0.2)  # every job has read "no credential yet" before any writes
        return found

    monkeypatch.setattr(issue, "lock_enrollment", unlocked)
    assert locks.lock_enrollment is not unlocked
    _results, errors = run_parallel([lambda: issue.credential_issue(enrollment_id=enrollment.pk)] * 4)
    assert errors
    assert all(isinstance(e, IntegrityError) for e in errors)
    assert Credential.objects.filter(enrollment=enrollment).count() == 1

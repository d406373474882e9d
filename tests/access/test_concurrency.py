"""Duplicate jobs and the per-LMS limit under real parallel threads, each with its own
PostgreSQL connection (transactional_db) and the real Redis; each with a negative control that
shows the test would see the failure."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import close_old_connections, connection

from access.lms.base import LmsError
from access.models import Provision, ProvisionState
from access.services import concurrency, provisioning
from tests.access.conftest import enrol, make_connection, make_offering

WORKERS = 8


def parallel(job, workers: int = WORKERS) -> list[BaseException]:
    start = threading.Barrier(workers)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            start.wait(10)
            job()
        except BaseException as exc:  # noqa: BLE001 - the test looks at every outcome
            errors.append(exc)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return errors


@pytest.fixture
def pending(transactional_db, world, lms, sent):
    make_connection(world)
    offering = make_offering(world)
    enrollment = enrol(world, offering, world.learner)
    provisioning.provisions_plan(enrollment_id=enrollment.pk)
    lms.delay = 0.2  # every call takes a while: the jobs overlap
    return enrollment


@pytest.mark.django_db(transaction=True)
def test_duplicate_jobs_at_once_enrol_exactly_once(pending, lms):
    errors = parallel(lambda: provisioning.provision_sync(enrollment_id=pending.pk))
    assert errors == []
    assert (lms.count("user_ensure"), lms.count("enrol")) == (1, 1)
    row = Provision.objects.get(enrollment=pending)
    assert (row.state, row.attempts, row.claimed_at) == (ProvisionState.PROVISIONED, 1, None)


@pytest.mark.django_db(transaction=True)
def test_negative_control_without_the_claim_duplicates_enrol_more_than_once(pending, lms, monkeypatch):
    monkeypatch.setattr(provisioning, "_claim", lambda provision_id, now: now)
    parallel(lambda: provisioning.provision_run(provision_id=Provision.objects.get(enrollment=pending).pk))
    assert lms.count("enrol") > 1


def hold_slots(limit: int, workers: int = WORKERS) -> int:
    """Each thread holds a slot of connection 999 for 0.1 s; the most held at once."""
    active = peak = 0
    lock = threading.Lock()

    def job() -> None:
        nonlocal active, peak
        with concurrency.lms_slot(999, limit):
            with lock:
                active += 1
                peak = max(peak, active)
            time.sleep(0.1)
            with lock:
                active -= 1

    assert parallel(job, workers) == []
    return peak


def test_at_most_max_concurrency_calls_to_one_lms_at_once(settings):
    assert hold_slots(limit=2) == 2
    assert concurrency.in_use(999) == 0  # every slot given back


def test_negative_control_a_higher_limit_lets_more_through(settings):
    assert hold_slots(limit=WORKERS) > 2


def test_a_full_lms_makes_the_job_try_again_later(settings):
    with (
        concurrency.lms_slot(998, 1),
        pytest.raises(LmsError) as refused,
        concurrency.lms_slot(998, 1, wait=0.2),
    ):
        pass
    assert refused.value.retryable
    with concurrency.lms_slot(998, 1, wait=0.2):  # free again
        pass


def test_a_dead_holders_slot_lapses(settings):
    with concurrency.lms_slot(997, 1, lease=1):
        time.sleep(1.2)  # as if this worker died holding it
        with concurrency.lms_slot(997, 1, wait=0.5):
            pass

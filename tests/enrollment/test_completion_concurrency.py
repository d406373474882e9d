"""Completion under real parallel connections: many calls for one enrollment at once (staff
double-clicking, the LMS sending the same thing) make exactly one record, one event and one
listener call."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import partial
from typing import Any

import pytest
from django.utils import timezone

from core.registry import Registry
from enrollment import extensions, services
from enrollment.extensions import CompletionChanged
from enrollment.models import CompletionRecord, EnrollmentStatus
from enrollment.services import messages
from tests.enrollment.test_completion import started_offering
from tests.enrollment.test_concurrency import run_parallel

pytestmark = pytest.mark.django_db(transaction=True)
S = EnrollmentStatus


@pytest.fixture(autouse=True)
def _no_mail_queue(monkeypatch):
    monkeypatch.setattr(messages, "enqueue_after_commit", lambda task, message_id: None)


def test_parallel_same_completion_makes_one_record(world, monkeypatch):
    heard: list[CompletionChanged] = []
    monkeypatch.setattr(extensions, "completion_listeners", Registry("test listener"))
    extensions.completion_listeners.register("test", heard.append)
    _offering, (enrollment,) = started_offering(world, [world.learner])
    on = (timezone.now() - timedelta(days=1)).date()

    def complete(source: str):
        return services.completion_record(
            tenant=world.a,
            enrollment_id=enrollment.pk,
            outcome="completed",
            result="Pass",
            on=on,
            source=source,
            actor=None if source == "lms" else world.a_unit1_admin,
        )

    jobs: list[tuple[str, Callable[[], Any]]] = [
        (f"call-{n}", partial(complete, "lms" if n % 2 else "staff")) for n in range(8)
    ]
    calls = run_parallel(jobs, workers=8)
    assert [c.error for c in calls.values() if c.error] == []
    assert sum(c.result.changed for c in calls.values()) == 1
    assert CompletionRecord.objects.filter(enrollment=enrollment).count() == 1
    enrollment.refresh_from_db()
    assert enrollment.status == S.COMPLETED
    assert enrollment.events.filter(action="completed").count() == 1
    assert len(heard) == 1


def test_parallel_different_corrections_chain_up(world):
    """Two corrections at once: both are kept, one replacing the other (never a fork)."""
    _offering, (enrollment,) = started_offering(world, [world.learner])
    services.completion_record(
        tenant=world.a, enrollment_id=enrollment.pk, outcome="completed", result="B", source="lms", actor=None
    )

    def correct(result: str):
        return services.completion_record(
            tenant=world.a,
            enrollment_id=enrollment.pk,
            outcome="completed",
            result=result,
            source="lms",
            actor=None,
            reason="regraded",
        )

    calls = run_parallel([("a", lambda: correct("A")), ("c", lambda: correct("C"))], workers=2)
    assert [c.error for c in calls.values() if c.error] == []
    records = list(CompletionRecord.objects.filter(enrollment=enrollment).order_by("pk"))
    assert len(records) == 3
    assert records[1].replaces_id == records[0].pk
    assert records[2].replaces_id == records[1].pk

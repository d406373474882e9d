"""core.jobs: a task sent by name after commit, and a broker outage that fails nothing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from celery import shared_task
from django.db import transaction

from core.jobs import enqueue, enqueue_after_commit
from microcred.celery import app
from tests.broker import broker_down

ran: list[tuple[int, str]] = []


@shared_task(name="tests.core.record")
def record(number: int, *, word: str) -> None:
    ran.append((number, word))


@pytest.fixture
def eager() -> Iterator[None]:
    previous = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager = app.conf.task_eager_propagates = True
    ran.clear()
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = previous


@pytest.mark.django_db(transaction=True)
def test_the_task_runs_once_the_transaction_commits(eager: None) -> None:
    with transaction.atomic():
        enqueue_after_commit("tests.core.record", 7, word="seven")
        assert ran == []
    assert ran == [(7, "seven")]


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_change_sends_nothing(eager: None) -> None:
    def change_then_fail() -> None:
        with transaction.atomic():
            enqueue_after_commit("tests.core.record", 1, word="one")
            raise RuntimeError("undo")

    with pytest.raises(RuntimeError, match="undo"):
        change_then_fail()
    assert ran == []


def test_a_broker_outage_is_logged_and_fails_nothing(caplog: pytest.LogCaptureFixture) -> None:
    with broker_down():
        assert enqueue("tests.core.record", 2, word="two") is False
    assert "could not enqueue tests.core.record(2,)" in caplog.text

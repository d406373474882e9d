"""Refund tests reuse the payments harness: the real SDK against the local Stripe, signed webhooks."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.payments import conftest as payments

shop = payments.shop
stripe_server = payments.stripe_server
eager_tasks = payments.eager_tasks


@pytest.fixture
def worker_retries() -> Iterator[None]:
    """Tasks run at once, and a task's retry runs at once too, as a worker would run it later
    (Celery's eager mode runs retries only when errors are not propagated)."""
    from microcred.celery import app

    previous = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager, app.conf.task_eager_propagates = True, False
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = previous

"""Finance's locks wait a bounded time: a lock another connection holds too long is a clear
refusal (409 on the page and in the API, a retry for the jobs), with nothing written."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg2
import pytest
from django.db import connection, transaction

from finance import tasks
from finance.errors import FinanceBusy
from finance.models import JournalExport, Problem
from finance.services import locks
from finance.services.reconcile import reconcile

pytestmark = pytest.mark.django_db(transaction=True)


@contextmanager
def held_elsewhere(space: int, tenant_id: int) -> Iterator[None]:
    """The tenant's lock in `space`, held by another connection until the block ends."""
    other = psycopg2.connect(**connection.get_connection_params())
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [space, tenant_id])
            yield
        other.rollback()
    finally:
        other.close()


@pytest.fixture
def short_wait(monkeypatch):
    monkeypatch.setattr(locks, "LOCK_TIMEOUT", "300ms")


def test_a_journal_export_waiting_too_long_is_refused_and_records_nothing(world, short_wait):
    client = world.client_for(world.a_finance_all, world.a)
    form = {"period_end": "2099-12-31", "currency": "USD"}
    with held_elsewhere(locks.JOURNAL, world.a.pk):
        page = client.post("/console/finance/journals/", form)
        api = client.post("/api/v1/finance/journal-exports/", form, content_type="application/json")
    assert page.status_code == 409
    assert "Another finance job of this institution is running" in page.content.decode()
    assert api.status_code == 409
    assert api.json()["error"]["code"] == "finance_busy"
    assert JournalExport.objects.count() == 0


def test_a_reconciliation_waiting_too_long_is_refused_and_the_jobs_retry_it(world, short_wait):
    with held_elsewhere(locks.RECONCILE, world.a.pk), pytest.raises(FinanceBusy):
        reconcile(tenant=world.a)
    assert Problem.objects.count() == 0
    for job in (tasks.finance_import_tenant, tasks.finance_payout_event):
        assert FinanceBusy in getattr(job, "autoretry_for")  # noqa: B009 - not in the stubs


def test_the_wait_limit_is_for_the_lock_only(world):
    """The work under the lock keeps the session's own lock_timeout (none by default)."""
    with connection.cursor() as cursor:
        cursor.execute("SHOW lock_timeout")
        (before,) = cursor.fetchone()
        with transaction.atomic():
            locks.tenant_xact_lock(locks.RECONCILE, world.a.pk)
            cursor.execute("SHOW lock_timeout")
            (inside,) = cursor.fetchone()
    assert inside == before


def test_a_lock_released_within_the_wait_is_taken(world, monkeypatch):
    """Another reconciliation finishing within the wait is no refusal: this one runs after it."""
    monkeypatch.setattr(locks, "LOCK_TIMEOUT", "5s")
    taken, release = threading.Event(), threading.Event()

    def hold() -> None:
        with held_elsewhere(locks.RECONCILE, world.a.pk):
            taken.set()
            release.wait(5)

    holder = threading.Thread(target=hold)
    holder.start()
    assert taken.wait(5)
    threading.Timer(0.3, release.set).start()
    started = time.monotonic()
    result = reconcile(tenant=world.a)
    holder.join(5)
    assert time.monotonic() - started >= 0.25  # it waited for the other one
    assert result.problems == {}

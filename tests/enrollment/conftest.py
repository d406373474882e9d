from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from catalog.models import Offering
from enrollment.models import Enrollment
from microcred.celery import app
from tests.catalog.factories import OfferingFactory


@pytest.fixture
def eager_tasks():
    """Celery tasks run in the calling thread (e-mails land in the test outbox at commit)."""
    previous = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = previous


def make_offering(world, **fields) -> Offering:
    defaults = {"microcredential__unit": world.a_unit1, "capacity": 2, "price_minor": 0}
    return OfferingFactory.create(**{**defaults, **fields})


def seats(offering: Offering) -> int:
    offering.refresh_from_db()
    return offering.seats_taken


def statuses(offering: Offering) -> list[tuple[str, str]]:
    return list(
        Enrollment.objects.filter(offering=offering)
        .order_by("arrival")
        .values_list("learner__email", "status")
    )


def soon(minutes: int = 0, hours: int = 0):
    return timezone.now() + timedelta(minutes=minutes, hours=hours)


@pytest.fixture
def no_page_cache(settings):
    settings.CATALOG_CACHE_SECONDS = 0

"""Date filters read days in the institution's time zone, not UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from finance import selectors
from finance.models import Payout, Problem, ProblemKind

pytestmark = pytest.mark.django_db

EVERYTHING = selectors.FinanceScope(tenant_id=0, finance_units=None, statement_units=None)


def _late_evening(world):
    world.a.time_zone = "America/New_York"
    world.a.save()
    # 23:30 on 10 March in New York is 03:30 on 11 March in UTC.
    return datetime(2026, 3, 11, 3, 30, tzinfo=UTC)


def test_a_payout_late_in_the_local_evening_is_found_by_its_local_date(world):
    created = _late_evening(world)
    Payout.objects.create(
        tenant=world.a,
        stripe_id="po_late",
        amount=100,
        currency="USD",
        status="paid",
        created=created,
        arrival_date=created,
    )

    def found(day: date) -> list[str]:
        rows = selectors.payouts(
            tenant=world.a, scope=EVERYTHING, filters=selectors.PayoutFilters(start=day, end=day)
        )
        return [p.stripe_id for p in rows]

    assert found(date(2026, 3, 10)) == ["po_late"]
    assert found(date(2026, 3, 11)) == []


def test_a_problem_late_in_the_local_evening_is_found_by_its_local_date(world):
    occurred = _late_evening(world)
    Problem.objects.create(
        tenant=world.a, kind=ProblemKind.NOT_TRACKED, currency="USD", source_ref="adj_1", occurred_at=occurred
    )

    def found(day: date) -> list[str]:
        rows = selectors.problems(
            tenant=world.a, scope=EVERYTHING, filters=selectors.ProblemFilters(start=day, end=day)
        )
        return [p.source_ref for p in rows]

    assert found(date(2026, 3, 10)) == ["adj_1"]
    assert found(date(2026, 3, 11)) == []


def test_day_bounds_are_half_open_in_the_tenants_zone(world):
    _late_evening(world)
    low, high = selectors.day_bounds(world.a, date(2026, 3, 10), date(2026, 3, 10))
    assert low == datetime(2026, 3, 10, 4, 0, tzinfo=UTC)  # EDT since 8 March
    assert high == datetime(2026, 3, 11, 4, 0, tzinfo=UTC)
    assert selectors.day_bounds(world.a, None, None) == (None, None)

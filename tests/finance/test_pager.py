"""Page links keep the list's filters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from finance.models import Payout, Problem, ProblemKind

pytestmark = pytest.mark.django_db


def test_payouts_page_links_keep_the_filters(world):
    start = datetime(2026, 1, 1, tzinfo=UTC)
    Payout.objects.bulk_create(
        Payout(
            tenant=world.a,
            stripe_id=f"po_{i}",
            amount=100,
            currency="USD",
            status="paid" if i < 60 else "failed",
            created=start + timedelta(hours=i),
            arrival_date=start + timedelta(hours=i),
        )
        for i in range(70)
    )
    client = world.client_for(world.a_finance_all, world.a)
    first = client.get("/console/finance/?status=paid").content.decode()
    assert 'href="?status=paid&amp;page=2"' in first
    second = client.get("/console/finance/?status=paid&page=2").content.decode()
    assert 'href="?status=paid&amp;page=1"' in second
    assert "page=2&amp;page" not in second
    assert "po_65" not in second  # a failed one: the filter still holds on page 2


def test_problems_page_links_keep_the_filters(world):
    Problem.objects.bulk_create(
        Problem(tenant=world.a, kind=ProblemKind.NOT_TRACKED, currency="USD", source_ref=f"adj_{i}")
        for i in range(55)
    )
    client = world.client_for(world.a_finance_all, world.a)
    first = client.get(f"/console/finance/problems/?kind={ProblemKind.NOT_TRACKED}").content.decode()
    assert f'href="?kind={ProblemKind.NOT_TRACKED}&amp;page=2"' in first

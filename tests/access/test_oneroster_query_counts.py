"""Each OneRoster endpoint and the bulk zip run a fixed number of queries, however many
offerings, learners and seats the roster holds."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from access.oneroster.clients import oneroster_client_create
from access.oneroster.scopes import ROSTER_CORE_READONLY, ROSTER_READONLY
from tests.access.test_oneroster import BASE, _enrol, _offering, token_for
from tests.factories import UnitFactory, UserFactory

BOUND = 9  # token, client, tenant cache miss aside: count and page; the zip: one per file


@pytest.fixture(autouse=True)
def _host_remembered(world):
    from tenants.cache import tenant_for_host_cached

    assert tenant_for_host_cached("alpha.test") == world.a


def _add(world, count: int, tag: str) -> int:
    """`count` offerings in new units, each with two learners, one of them in two classes."""
    first = None
    for index in range(count):
        unit = UnitFactory.create(tenant=world.a, slug=f"unit-{tag}{index}")
        offering = _offering(unit, f"Course {tag}{index}")
        first = first or offering
        for n in range(2):
            learner = UserFactory.create(full_name=f"Learner {tag}{index}{n}")
            _enrol(world, offering, learner)
            if n == 0 and first is not offering:
                _enrol(world, first, learner)
    assert first is not None
    return first.pk


def _queries(client: Client, token: str, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path, HTTP_HOST="alpha.test", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200, (path, response.content[:300])
    return len(captured)


PATHS = [
    "/orgs",
    "/schools",
    "/courses",
    "/classes",
    "/academicSessions",
    "/users",
    "/users?filter=status='active'&sort=email",
    "/enrollments",
    "/enrollments?filter=dateLastModified>'2020-01-01T00:00:00Z'&limit=5&offset=2",
    "/classes/offering-{first}/students",
    "/classes/offering-{first}/enrollments",
]


def test_no_endpoint_queries_per_row(world):
    registered = oneroster_client_create(
        tenant=world.a, name="SIS", unit=None, scopes=[ROSTER_CORE_READONLY, ROSTER_READONLY]
    )
    client = Client()
    token = token_for(client, "alpha.test", registered)
    first = _add(world, 1, "a")
    few = {p: _queries(client, token, BASE + p.format(first=first)) for p in PATHS}
    few["zip"] = _queries(client, token, "/ims/oneroster/csv/v1p2/bulk.zip")

    _add(world, 6, "b")
    many = {p: _queries(client, token, BASE + p.format(first=first)) for p in PATHS}
    many["zip"] = _queries(client, token, "/ims/oneroster/csv/v1p2/bulk.zip")

    assert many == few
    assert max(many.values()) <= BOUND

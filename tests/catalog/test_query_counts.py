"""Each catalog page runs a fixed number of queries, however many offerings it shows."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.catalog.factories import MicrocredentialFactory, OfferingFactory, RefundPolicyFactory
from tests.factories import UnitFactory

# Units for the filter, count, the page's keys (+ an exists() when searching), its offerings, and the
# tenant lookup when this process has not remembered the host yet (tenants.cache).
LISTING_BOUND = 5
DETAIL_BOUND = 9


@pytest.fixture(autouse=True)
def _host_remembered(world):
    """As in a running server: the process knows alpha.test's tenant before the page is counted."""
    from tenants.cache import tenant_for_host_cached

    assert tenant_for_host_cached("alpha.test") == world.a


def queries(client, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path, HTTP_HOST="alpha.test")
    assert response.status_code == 200, path
    return len(captured)


def add_offerings(world, count: int) -> None:
    """Offerings across several units with their own brands, policies and stacks."""
    for index in range(count):
        unit = UnitFactory.create(tenant=world.a, slug=f"unit-x{index}", primary_colour="#7a1f3d")
        RefundPolicyFactory.create(unit=unit)
        part = MicrocredentialFactory.create(unit=unit, title=f"Python part {index}")
        whole = MicrocredentialFactory.create(unit=unit, title=f"Python whole {index}", parts=[part])
        OfferingFactory.create(microcredential=whole)
        OfferingFactory.create(microcredential=part, price_minor=0)


@pytest.mark.usefixtures("no_page_cache")
@pytest.mark.parametrize(
    "path",
    ["/", "/?q=python", "/?q=pyhton", "/?mode=online&price=free&seats=on&sort=price", "/u/continuing-ed/"],
)
def test_listing_pages_do_not_query_per_offering(world, client, path):
    OfferingFactory.create(
        microcredential__unit=world.a_unit1, microcredential__title="Python", price_minor=0
    )
    few = queries(client, path)

    add_offerings(world, 7)
    OfferingFactory.create_batch(5, microcredential__unit=world.a_unit1, microcredential__title="Python")
    many = queries(client, path)

    assert many == few
    assert many <= LISTING_BOUND


@pytest.mark.usefixtures("no_page_cache")
def test_offering_page_does_not_query_per_part_cohort_or_tier(world, client):
    RefundPolicyFactory.create(unit=world.a_unit1, tiers=[(14, 100)])
    python = MicrocredentialFactory.create(unit=world.a_unit1, title="Python")
    offering = OfferingFactory.create(microcredential=python)
    path = f"/offerings/{offering.pk}/"
    few = queries(client, path)

    parts = MicrocredentialFactory.create_batch(4, unit=world.a_unit1)
    python.parts.set(parts)
    for _ in range(4):
        MicrocredentialFactory.create(unit=world.a_unit1, parts=[python])
    OfferingFactory.create_batch(4, microcredential=python)
    RefundPolicyFactory.create(unit=world.a_unit1, is_unit_default=False, tiers=[(30, 100), (7, 50), (1, 10)])
    many = queries(client, path)

    assert many == few
    assert many <= DETAIL_BOUND


@pytest.mark.usefixtures("no_page_cache")
def test_public_api_list_does_not_query_per_offering(world, client):
    OfferingFactory.create(microcredential__unit=world.a_unit1)
    few = queries(client, "/api/v1/catalog/offerings/")

    add_offerings(world, 6)
    many = queries(client, "/api/v1/catalog/offerings/")

    assert many == few
    assert many <= LISTING_BOUND

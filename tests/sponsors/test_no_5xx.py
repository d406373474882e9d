"""The sweep of tests/test_no_5xx.py over sponsors' pages only, with real ids in them: as a tenant
admin, an employer's contact, a learner and anonymous, bad input never answers a 5xx."""

from __future__ import annotations

import pytest
from django.urls import get_resolver

from catalog.services import offering_seats_take
from sponsors.models import Employer, PoolSeat, PoolStatus, SeatPool
from sponsors.services import employers
from tenants.selectors import staff_access
from tests.catalog.factories import OfferingFactory
from tests.test_no_5xx import _fill, _routes, _sweep

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("who", ["tenant_admin", "contact", "learner", "anonymous"])
def test_sponsors_pages_never_answer_a_5xx(world, who):
    offering = OfferingFactory.create(microcredential__unit=world.a_unit1, capacity=5, price_minor=50000)
    employer = employers.employer_create(
        tenant=world.a,
        access=staff_access(user=world.a_admin, tenant=world.a),
        organisation="Acme",
        billing_email="b@acme.test",
        contact_emails=["hr@acme.test"],
    )
    pool = SeatPool.objects.create(
        tenant=world.a,
        employer=employer,
        offering=offering,
        microcredential=offering.microcredential,
        seats=2,
        unit_price_minor=50000,
        currency="USD",
        status=PoolStatus.INVOICED,
    )
    assert offering_seats_take(tenant=world.a, offering_id=offering.pk, count=2)
    PoolSeat.objects.create(tenant=world.a, pool=pool, code="ABCDEFGHJKLM")
    contact = Employer.objects.get().contacts.get().user
    user = {"tenant_admin": world.a_admin, "contact": contact, "learner": world.learner, "anonymous": None}[
        who
    ]
    client = world.client_for(user, world.a)
    client.raise_request_exception = False
    routes = sorted(
        r for r in _routes(get_resolver().url_patterns) if r.startswith(("/console/sponsors", "/sponsor/"))
    )
    assert len(routes) >= 8
    found: list[str] = []
    for route in routes:
        if "<int:" in route:
            path = _fill(route, 2**63)
            for method in (client.get, client.post):
                if method(path).status_code >= 500:
                    found.append(f"5xx {method.__name__.upper()} {path}")
        numbers = sorted({employer.pk, pool.pk}) if "<int:" in route else [0]
        found += _sweep(client, route, numbers, {"q"})
    assert not found, "\n".join(found)

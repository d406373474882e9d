"""The console's overview shows each person the figures of their own units, from the rows."""

import re

from catalog.models import Microcredential
from enrollment.services.enroll import enrollment_create
from tests.catalog.factories import MicrocredentialFactory, OfferingFactory
from tests.factories import UserFactory


def _figure(body: str, label: str) -> int:
    pattern = r'<span class="overview-value">(\d+)</span> <span class="overview-label">' + label
    found = re.search(pattern, body)
    assert found, f"no figure {label!r} on the page"
    return int(found.group(1))


def _offering(unit, *, capacity: int, title: str):
    credential: Microcredential = MicrocredentialFactory.create(unit=unit, title=title)
    return OfferingFactory.create(microcredential=credential, capacity=capacity, price_minor=0)


def test_the_overview_counts_seats_and_wait_lists_of_the_persons_units(world):
    mine = _offering(world.a_unit1, capacity=2, title="Data Basics")
    theirs = _offering(world.a_unit2, capacity=5, title="Other Unit Course")
    for n in range(3):  # two confirmed (free), the third waits
        learner = UserFactory.create(email=f"l{n}@example.org")
        enrollment_create(tenant=world.a, learner=learner, offering_id=mine.pk)
    other = UserFactory.create(email="x@example.org")
    enrollment_create(tenant=world.a, learner=other, offering_id=theirs.pk)

    unit_admin = world.client_for(world.a_unit1_admin, world.a).get("/console/").content.decode()
    tenant_admin = world.client_for(world.a_admin, world.a).get("/console/").content.decode()

    assert _figure(unit_admin, "Offerings open for enrollment") == 1
    assert _figure(unit_admin, "Seats taken in current offerings") == 2
    assert _figure(unit_admin, "Seats in current offerings") == 2
    assert _figure(unit_admin, "Learners on wait-lists") == 1
    assert "l2@example.org — Data Basics: On the wait-list" in unit_admin
    assert "x@example.org" not in unit_admin
    assert "Other Unit Course" not in unit_admin

    assert _figure(tenant_admin, "Seats taken in current offerings") == 3
    assert _figure(tenant_admin, "Seats in current offerings") == 7
    assert "x@example.org — Other Unit Course: Confirmed" in tenant_admin


def test_finance_sees_refunds_but_no_seat_panel(world):
    body = world.client_for(world.a_finance_all, world.a).get("/console/").content.decode()

    assert "Seats and wait-lists" not in body
    assert _figure(body, "Refunds that failed and need you") == 0
    assert _figure(body, "Refunds on their way") == 0

"""One-time codes under real parallel connections: a code redeemed at once by many learners gives
one seat, and the pool's reserved seats are never more than the offering has."""

from __future__ import annotations

import pytest

from catalog.services import offering_seats_take
from enrollment.models import Enrollment, EnrollmentStatus
from enrollment.services import messages
from sponsors.errors import SeatCodeRefused
from sponsors.models import Employer, PoolSeat, PoolStatus, SeatPool
from sponsors.services import seats
from sponsors.services.pools import new_code
from tests.catalog.factories import OfferingFactory
from tests.enrollment.test_concurrency import run_parallel
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _no_mail_queue(monkeypatch):
    monkeypatch.setattr(messages, "enqueue_after_commit", lambda task, message_id: None)


def test_a_code_redeemed_by_many_at_once_gives_one_seat(world):
    offering = OfferingFactory.create(microcredential__unit=world.a_unit1, capacity=3, price_minor=50000)
    employer = Employer.objects.create(tenant=world.a, organisation="Acme", billing_email="b@acme.test")
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
    code = new_code()
    PoolSeat.objects.create(tenant=world.a, pool=pool, code=code)
    PoolSeat.objects.create(tenant=world.a, pool=pool, code=new_code())
    learners = [UserFactory.create() for _ in range(8)]

    def redeem(learner):
        return lambda: seats.seat_redeem(tenant=world.a, learner=learner, code=code)

    calls = run_parallel([(f"l{i}", redeem(learner)) for i, learner in enumerate(learners)], workers=8)
    won = [c for c in calls.values() if c.error is None]
    lost = [c for c in calls.values() if c.error is not None]
    assert len(won) == 1
    assert all(isinstance(c.error, SeatCodeRefused) for c in lost), [c.error for c in lost]
    assert Enrollment.objects.filter(status=EnrollmentStatus.CONFIRMED).count() == 1
    offering.refresh_from_db()
    assert offering.seats_taken == 2  # one reserved seat became a learner's; one still reserved


def test_one_pool_form_sent_twice_at_once_reserves_its_seats_once(world):
    from sponsors.services import pools
    from tenants.selectors import staff_access

    offering = OfferingFactory.create(microcredential__unit=world.a_unit1, capacity=10, price_minor=50000)
    employer = Employer.objects.create(tenant=world.a, organisation="Acme", billing_email="b@acme.test")
    access = staff_access(user=world.a_admin, tenant=world.a)

    def create():
        return pools.pool_create(
            tenant=world.a,
            access=access,
            actor=world.a_admin,
            employer_id=employer.pk,
            offering_id=offering.pk,
            seats=4,
            request_key="0123456789abcdef0123456789abcdef",
        ).pk

    calls = run_parallel([(f"c{i}", create) for i in range(4)], workers=4)

    assert [c.error for c in calls.values()] == [None] * 4
    assert len({c.result for c in calls.values()}) == 1
    assert SeatPool.objects.count() == 1
    assert PoolSeat.objects.count() == 4
    offering.refresh_from_db()
    assert offering.seats_taken == 4

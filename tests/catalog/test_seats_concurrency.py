"""A capacity lowering and a seat being taken, on two real connections at once: never both.

The capacity change locks the offering row (SELECT … FOR UPDATE), checks, writes; the seat is
one conditional UPDATE that waits for that lock and then re-reads the committed row.
"""

import threading
import time

import pytest
from django.db import close_old_connections, connection, transaction

from catalog import services
from catalog.errors import CapacityBelowSeatsTaken
from catalog.models import Offering
from catalog.services import offerings as offering_services
from tenants.selectors import staff_access
from tests.catalog.factories import OfferingFactory

pytestmark = pytest.mark.django_db(transaction=True)


def in_thread(target, results, name):
    def run():
        try:
            results[name] = target()
        except Exception as exc:  # noqa: BLE001 - the test inspects what each side raised
            results[name] = exc
        finally:
            close_old_connections()
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def lower_capacity(world, offering, capacity):
    access = staff_access(tenant=world.a, user=world.a_admin)
    return services.offering_update(
        tenant=world.a, access=access, actor=None, offering_id=offering.pk, fields={"capacity": capacity}
    )


def test_lowering_capacity_first_makes_the_waiting_seat_fail(world, monkeypatch):
    offering = OfferingFactory.create(microcredential__unit=world.a_unit1, capacity=5, seats_taken=4)
    locked, release = threading.Event(), threading.Event()
    real_apply = offering_services._apply

    def apply_then_wait(target, fields):
        """Pause the capacity change while it holds the row lock, its check passed."""
        changed = real_apply(target, fields)
        if connection.in_atomic_block:  # the pre-check runs outside the transaction
            locked.set()
            release.wait(10)
        return changed

    monkeypatch.setattr(offering_services, "_apply", apply_then_wait)
    results: dict[str, object] = {}

    lowering = in_thread(lambda: lower_capacity(world, offering, 4), results, "lower")
    assert locked.wait(10)
    seat = in_thread(
        lambda: services.offering_seats_take(tenant=world.a, offering_id=offering.pk), results, "seat"
    )
    time.sleep(0.5)
    assert "seat" not in results  # the seat waits for the lock
    release.set()
    lowering.join(10)
    seat.join(10)

    assert isinstance(results["lower"], Offering)
    assert results["seat"] is False
    offering.refresh_from_db()
    assert (offering.capacity, offering.seats_taken) == (4, 4)


def test_a_seat_taken_first_makes_the_waiting_capacity_lowering_fail(world):
    offering = OfferingFactory.create(microcredential__unit=world.a_unit1, capacity=5, seats_taken=4)
    taken, release = threading.Event(), threading.Event()
    results: dict[str, object] = {}

    def take_and_hold():
        with transaction.atomic():  # as the enrollment engine will: seat and enrollment row together
            ok = services.offering_seats_take(tenant=world.a, offering_id=offering.pk)
            taken.set()
            release.wait(10)
        return ok

    seat = in_thread(take_and_hold, results, "seat")
    assert taken.wait(10)
    lowering = in_thread(lambda: lower_capacity(world, offering, 4), results, "lower")
    time.sleep(0.5)
    assert "lower" not in results  # the lowering waits for the seat's transaction
    release.set()
    seat.join(10)
    lowering.join(10)

    assert results["seat"] is True
    assert isinstance(results["lower"], CapacityBelowSeatsTaken)
    assert str(results["lower"]) == "5 seats are already taken; capacity cannot go below 5."
    offering.refresh_from_db()
    assert (offering.capacity, offering.seats_taken) == (5, 5)


def test_many_seat_takers_and_a_lowering_never_oversell(world):
    offering = OfferingFactory.create(microcredential__unit=world.a_unit1, capacity=10, seats_taken=0)
    results: dict[str, object] = {}
    start = threading.Barrier(13)

    def take(n):
        def run():
            start.wait(10)
            return services.offering_seats_take(tenant=world.a, offering_id=offering.pk)

        return run

    def lower():
        start.wait(10)
        return lower_capacity(world, offering, 6)

    threads = [in_thread(take(n), results, f"seat{n}") for n in range(12)]
    threads.append(in_thread(lower, results, "lower"))
    for thread in threads:
        thread.join(20)

    offering.refresh_from_db()
    seats_won = sum(1 for n in range(12) if results[f"seat{n}"] is True)
    assert offering.seats_taken == seats_won
    assert offering.seats_taken <= offering.capacity
    if isinstance(results["lower"], Offering):
        assert offering.capacity == 6
        assert seats_won <= 6
    else:
        assert isinstance(results["lower"], CapacityBelowSeatsTaken)
        assert offering.capacity == 10

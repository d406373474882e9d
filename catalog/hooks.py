"""Where the catalog tells higher apps that something happened, without importing them.

The enrollment app registers a receiver in its AppConfig.ready()::

    hooks.capacity_raised.register("offer new seats", offer_new_seats_to_waitlist)

Receivers run after the capacity change is committed (never inside the locked transaction),
with the offering's id and how many seats were added (core.registry.after_commit).
"""

from __future__ import annotations

from collections.abc import Callable

from core.registry import Registry, after_commit

CapacityRaised = Callable[[int, int], None]

capacity_raised: Registry[CapacityRaised] = Registry("capacity-raised receiver")


def capacity_raised_on_commit(offering_id: int, seats_added: int) -> None:
    """Call every receiver once the current transaction commits (at once outside one)."""
    after_commit(capacity_raised, offering_id, seats_added)

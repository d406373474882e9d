"""Where the catalog tells higher apps that something happened, without importing them.

The enrollment app registers a receiver in its AppConfig.ready():

    from catalog.hooks import on_capacity_raised
    on_capacity_raised(offer_new_seats_to_waitlist)

Receivers run after the capacity change is committed (never inside the locked transaction),
with the offering's id and how many seats were added.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import transaction

logger = logging.getLogger(__name__)

CapacityRaised = Callable[[int, int], None]
_capacity_raised: list[CapacityRaised] = []


def on_capacity_raised(receiver: CapacityRaised) -> CapacityRaised:
    """Register `receiver(offering_id, seats_added)`; usable as a decorator. Idempotent."""
    if receiver not in _capacity_raised:
        _capacity_raised.append(receiver)
    return receiver


def disconnect_capacity_raised(receiver: CapacityRaised) -> None:
    if receiver in _capacity_raised:
        _capacity_raised.remove(receiver)


def capacity_raised_on_commit(offering_id: int, seats_added: int) -> None:
    """Call every receiver once the current transaction commits (at once outside one)."""

    def notify() -> None:
        for receiver in list(_capacity_raised):
            try:
                receiver(offering_id, seats_added)
            except Exception:  # a receiver's failure must not undo or hide the committed change
                logger.exception("capacity-raised receiver %r failed for offering %s", receiver, offering_id)

    transaction.on_commit(notify)

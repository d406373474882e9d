"""Where the catalog tells higher apps that something happened, without importing them.

The enrollment app registers a receiver in its AppConfig.ready()::

    hooks.capacity_raised.register("offer new seats", offer_new_seats_to_waitlist)

Receivers run after the capacity change is committed (never inside the locked transaction),
with the offering's id and how many seats were added (core.registry.after_commit).

The demand app counts searches that found nothing (`search_found_nothing`, see below).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from core.registry import Registry, after_commit

logger = logging.getLogger(__name__)

CapacityRaised = Callable[[int, int], None]

capacity_raised: Registry[CapacityRaised] = Registry("capacity-raised receiver")


def capacity_raised_on_commit(offering_id: int, seats_added: int) -> None:
    """Call every receiver once the current transaction commits (at once outside one)."""
    after_commit(capacity_raised, offering_id, seats_added)


# A learner's search found nothing: called with the tenant's id and the words as typed, on every
# such answer (from the page cache too). The receiver must be quick and must not raise into the
# page; `search_found_nothing_tell` logs and swallows whatever it raises. It is told no one's
# identity: the catalog gives it none.
SearchFoundNothing = Callable[[int, str], None]

search_found_nothing: Registry[SearchFoundNothing] = Registry("search-found-nothing receiver")


def search_found_nothing_tell(tenant_id: int, text: str) -> None:
    for name, receiver in search_found_nothing.items():
        try:
            receiver(tenant_id, text)
        except Exception:  # counting demand must never fail the catalog page
            logger.exception("search-found-nothing receiver %r failed", name)

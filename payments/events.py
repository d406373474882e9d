"""Who applies which Stripe event: a registry filled by the apps at start-up (payments' own
handlers in payments.handlers; finance's payout.* in FinanceConfig.ready()).

A handler is called as `handler(tenant=, event=)` inside the apply job's transaction, possibly
again after a crash: it must be idempotent.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

EventHandler = Callable[..., None]

_handlers: dict[str, list[EventHandler]] = defaultdict(list)


def event_handler(*types: str) -> Callable[[EventHandler], EventHandler]:
    """Register the decorated function for these exact event types, e.g. "payout.paid"."""

    def register(handler: EventHandler) -> EventHandler:
        for event_type in types:
            if handler not in _handlers[event_type]:
                _handlers[event_type].append(handler)
        return handler

    return register


def handlers_for(event_type: str) -> list[EventHandler]:
    return list(_handlers.get(event_type, ()))


def registered_types() -> list[str]:
    return sorted(t for t, hs in _handlers.items() if hs)


__all__ = ["EventHandler", "event_handler", "handlers_for", "registered_types"]

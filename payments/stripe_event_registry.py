"""Who applies which Stripe event: one typed registry (core.registry), filled by the apps at
start-up (payments' own handlers in payments.handlers; finance's payout.* in FinanceConfig.ready()).
The stored events are received and applied by payments.services.events.

A handler is called as `handler(tenant=, event=)` inside the apply job's transaction, possibly
again after a crash: it must be idempotent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from core.registry import Registry

EventHandler = Callable[..., None]


@dataclass(frozen=True)
class Handles:
    """A handler and the exact event types it applies."""

    types: frozenset[str]
    handler: EventHandler


handlers: Registry[Handles] = Registry("Stripe event handler")


def event_handler(*types: str) -> Callable[[EventHandler], EventHandler]:
    """Register the decorated function for these exact event types, e.g. "payout.paid"."""

    def register(handler: EventHandler) -> EventHandler:
        handlers.register(f"{handler.__module__}.{handler.__qualname__}", Handles(frozenset(types), handler))
        return handler

    return register


def handlers_for(event_type: str) -> list[EventHandler]:
    return [entry.handler for entry in handlers if event_type in entry.types]


def registered_types() -> list[str]:
    return sorted({event_type for entry in handlers for event_type in entry.types})


__all__ = ["EventHandler", "event_handler", "handlers", "handlers_for", "registered_types"]

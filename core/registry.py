"""Where a lower app lets a higher one plug in, without importing it.

The lower app declares a typed registry and calls what is registered; each higher app registers
its entry in its ``AppConfig.ready()``::

    # tenants/overview.py
    panels: Registry[Panel] = Registry("overview panel")

    # enrollment/apps.py, in ready()
    overview.panels.register("seats", Panel(seats_panel, order=10))

One semantics everywhere: an entry has a unique name; registering the same entry under its name
again is a no-op (``ready()`` can run more than once), a different entry under a taken name is a
programming error; entries come back in registration order, which is INSTALLED_APPS order.
`after_commit` calls each of a registry's functions once the current transaction commits, and a
failing one is logged without hiding the committed change or stopping the others. `call_each`
calls them at once, inside the caller's transaction, for a receiver that writes rows which must
commit or roll back with the change (an outbox row): a failing one fails the change.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any, Generic, TypeVar

from django.db import transaction

logger = logging.getLogger(__name__)

T = TypeVar("T")


class Registry(Generic[T]):
    def __init__(self, what: str) -> None:
        self.what = what  # for error messages: "merge mover", "Stripe event handler"
        self._entries: dict[str, T] = {}

    def register(self, name: str, entry: T) -> T:
        known = self._entries.get(name)
        if known is not None and known != entry:
            raise ValueError(f"A {self.what} named {name!r} is already registered.")
        self._entries[name] = entry
        return entry

    def unregister(self, name: str) -> None:
        self._entries.pop(name, None)

    def get(self, name: str) -> T | None:
        return self._entries.get(name)

    def items(self) -> list[tuple[str, T]]:
        return list(self._entries.items())

    def __iter__(self) -> Iterator[T]:
        return iter(list(self._entries.values()))

    def __len__(self) -> int:
        return len(self._entries)


def after_commit(registry: Registry[Callable[..., Any]], *args: Any, **kwargs: Any) -> None:
    """Call every registered function with these arguments once the transaction commits."""

    def notify() -> None:
        for name, function in registry.items():
            try:
                function(*args, **kwargs)
            except Exception:  # one receiver's failure must not undo or hide the committed change
                logger.exception("%s %r failed after commit", registry.what, name)

    transaction.on_commit(notify)


def call_each(registry: Registry[Callable[..., Any]], *args: Any, **kwargs: Any) -> None:
    """Call every registered function now, in the caller's transaction; an error propagates."""
    for function in registry:
        function(*args, **kwargs)

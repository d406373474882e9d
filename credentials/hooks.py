"""What apps above credentials add inside its transactions, registered at start-up (core.registry)::

hooks.issued_recorders.register("webhooks", recorder)
    # recorder(credentials: list[Credential]) -> None, inside the transaction that issued them
    # (one, or a batch): rows it writes commit or roll back with the credentials; an error it
    # raises fails the issue. Keep it to a few queries for the whole list.
"""

from __future__ import annotations

from collections.abc import Callable

from core.registry import Registry, call_each
from credentials.models import Credential

IssuedRecorder = Callable[[list[Credential]], None]

issued_recorders: Registry[IssuedRecorder] = Registry("credential-issued recorder")


def issued(credentials: list[Credential]) -> None:
    """Credentials were issued in the current transaction: the recorders hear of them now."""
    if credentials:
        call_each(issued_recorders, credentials)

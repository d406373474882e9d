"""A row held locked by another connection (another request, another worker) for the duration of
a `with` block, to prove what a lock that does not come in time answers."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connection, transaction


@contextmanager
def locked_elsewhere(lock: Callable[[], Any]) -> Iterator[None]:
    """Run `lock` (e.g. a select_for_update) in a transaction on its own connection, and keep
    that transaction open until the block ends."""
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        try:
            with transaction.atomic():
                lock()
                held.set()
                release.wait(10)
        finally:
            connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    assert held.wait(10), "the other connection never took its lock"
    try:
        yield
    finally:
        release.set()
        holder.join(10)

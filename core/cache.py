"""A two-level cache made stale all at once by a version token.

Each namespace ("catalog pages", "tenant hosts") keeps one version token per scope (a tenant,
or the whole namespace) in Redis. Values live in Redis, shared by every process, and in a small
dict in each process; both are tagged with the version they were computed under. A change calls
`changed(scope)`: a new token is written at once and again after the current transaction
commits, so a value computed from the old rows between the two is not kept.

Each process reads a scope's token at most once every `local_seconds`; so a change shows on the
next request in the process that made it, within about that long everywhere else, and a repeat
hit costs no round trip. A namespace can keep its values in this process only (`shared=False`:
the tenant of a host is a Python object worth keeping, not worth sending over the network).

Reading raises when Redis is down; the caller decides what to do (render anyway, read the
database). `changed` never raises: a cache outage must not undo a committed change.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, Generic, TypeGuard, TypeVar

from django.core.cache import cache
from django.db import transaction

logger = logging.getLogger(__name__)

V = TypeVar("V")


@dataclass(frozen=True)
class Stored(Generic[V]):
    version: str
    stored_at: float  # time.time(), comparable across processes
    value: V


class VersionedCache(Generic[V]):
    def __init__(
        self, namespace: str, *, shared: bool = True, local_seconds: float = 1.0, local_size: int = 256
    ) -> None:
        self.namespace = namespace
        self.shared = shared
        self.local_seconds = local_seconds
        self.local_size = local_size
        self.clock: Callable[[], float] = time.monotonic  # tests move it forward
        self._versions: dict[Hashable, tuple[float, str]] = {}  # scope → (read at, version)
        self._local: dict[str, Stored[V]] = {}

    def version_key(self, scope: Hashable) -> str:
        return f"{self.namespace}:version:{scope}"

    def value_key(self, key: str) -> str:
        return f"{self.namespace}:value:{key}"

    def forget(self) -> None:
        """Drop what this process holds (the next lookup reads the version again)."""
        self._versions.clear()
        self._local.clear()

    def _bump(self, scope: Hashable) -> None:
        self._versions.pop(scope, None)
        try:
            cache.set(self.version_key(scope), uuid.uuid4().hex, None)
        except Exception:  # the cache being down must never undo a change; values expire anyway
            logger.exception("could not bump the %s cache version of %s", self.namespace, scope)

    def changed(self, scope: Hashable = "") -> None:
        """Make every value of the scope stale: now, and again once the transaction commits."""
        self._bump(scope)
        transaction.on_commit(lambda: self._bump(scope))

    def _read_version(self, scope: Hashable, key: str | None) -> tuple[str, Any]:
        """The scope's version from Redis (started if missing) and, when shared, the value of
        `key` read in the same round trip."""
        version_key = self.version_key(scope)
        wanted = [version_key] + ([self.value_key(key)] if key is not None and self.shared else [])
        found = cache.get_many(wanted)
        version = found.get(version_key)
        if version is None:  # never set, or evicted: start one (another process may win the race)
            cache.add(version_key, uuid.uuid4().hex, None)
            version = cache.get(version_key)
        value = found.get(self.value_key(key)) if key is not None and self.shared else None
        return str(version), value

    def _fresh(self, stored: object, version: str, max_age: float | None) -> TypeGuard[Stored[V]]:
        return (
            isinstance(stored, Stored)
            and stored.version == version
            and (max_age is None or time.time() - stored.stored_at < max_age)
        )

    def lookup(
        self, scope: Hashable, key: str, *, max_age: float | None = None
    ) -> tuple[str, Stored[V] | None]:
        """The scope's current version, and the value stored for `key` under it (if any)."""
        now = self.clock()
        known = self._versions.get(scope)
        if known is not None and now - known[0] < self.local_seconds:
            version = known[1]
            local = self._local.get(key)
            if local is not None and self._fresh(local, version, max_age):
                return version, local
            stored = cache.get(self.value_key(key)) if self.shared else None
        else:
            version, stored = self._read_version(scope, key)
            self._versions[scope] = (now, version)
            if stored is None and not self.shared:
                stored = self._local.get(key)
        if not self._fresh(stored, version, max_age):
            return version, None
        self._remember(key, stored)
        return version, stored

    def store(self, key: str, version: str, value: V, *, timeout: int | None = None) -> Stored[V]:
        """Keep `value` under the version it was computed with (timeout: seconds in Redis)."""
        stored = Stored(version=version, stored_at=time.time(), value=value)
        if self.shared:
            try:
                cache.set(self.value_key(key), stored, timeout)
            except Exception:
                logger.exception("could not store a %s value in the cache", self.namespace)
        self._remember(key, stored)
        return stored

    def _remember(self, key: str, stored: Stored[V]) -> None:
        if len(self._local) >= self.local_size:
            self._local.clear()  # simpler than LRU bookkeeping; refilled at once
        self._local[key] = stored

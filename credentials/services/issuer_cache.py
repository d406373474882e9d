"""What the verifier reads of issuers and of their status lists, remembered in each process.

- Issuers (units and tenants by host, their keys): made stale by a version in Redis
  (core.cache) that any save or delete of a Tenant, Domain, Unit or IssuerKey (signals,
  connected in CredentialsConfig.ready) and a key rotation (an UPDATE, which sends no signal)
  move (`issuers_changed`).
- A unit's revoked and suspended credentials (status index → status, reason): made stale, per
  unit, by any save of one of its credentials that is not a new one (`statuses_changed`; every
  suspension, reinstatement and revocation saves the credential's status; a new credential is
  active, and an index not in the map is active).

So a change shows at once in the process that made it and within about a second in every other.
When Redis cannot be read, each lookup reads the database.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from core.cache import VersionedCache

logger = logging.getLogger(__name__)

issuers: VersionedCache[Any] = VersionedCache(
    "credentials:issuers", shared=False, local_seconds=1.0, local_size=4096
)


def issuers_changed(**_signal: object) -> None:
    """Every process forgets the issuers it remembers (now, and again after commit)."""
    issuers.changed()


def remembered(key: str, read: Callable[[], Any]) -> Any:
    """What `read()` gives, kept under `key` until an issuer changes. Redis down: read each time."""
    try:
        version, stored = issuers.lookup("", key)
    except Exception:
        logger.warning("the issuers' cache version is unreadable; reading the database", exc_info=True)
        issuers.forget()
        return read()
    if stored is not None:
        return stored.value
    value = read()
    issuers.store(key, version, value)
    return value


statuses: VersionedCache[dict[int, tuple[str, str]]] = VersionedCache(
    "credentials:statuses", shared=False, local_seconds=1.0, local_size=1024
)


def statuses_changed(*, instance: Any = None, created: bool = False, **_signal: object) -> None:
    """The unit of a changed credential: every process forgets its revoked and suspended ones."""
    if instance is None or created:
        return
    statuses.changed(instance.unit_id)


def unit_statuses(
    unit_id: int, read: Callable[[], dict[int, tuple[str, str]]]
) -> dict[int, tuple[str, str]] | None:
    """The unit's map of revoked and suspended credentials, from `read()` once per version; None
    when Redis cannot be read (the caller reads the one row it needs)."""
    key = str(unit_id)
    try:
        version, stored = statuses.lookup(unit_id, key)
    except Exception:
        logger.warning("the status cache version is unreadable; reading the database", exc_info=True)
        statuses.forget()
        return None
    if stored is not None:
        return stored.value
    value = read()
    statuses.store(key, version, value)
    return value

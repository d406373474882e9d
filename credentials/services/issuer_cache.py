"""Issuers (units and tenants by host, their keys), as the verifier reads them, remembered.

Kept in each process and made stale by a version in Redis (core.cache): any save or delete of a
Tenant, Domain, Unit or IssuerKey (signals, connected in CredentialsConfig.ready) and a key
rotation (an UPDATE, which sends no signal) call `issuers_changed`. So a change shows at once in
the process that made it and within about a second in every other. A credential's status is
never kept here: the verifier reads it on every verification.
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

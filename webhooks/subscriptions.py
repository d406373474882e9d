"""Which event types a tenant's enabled endpoints want, cached (core.cache.VersionedCache), so a
change of a tenant with no endpoint for it costs no query: the recorders ask this before they
read anything. Adding, enabling or disabling an endpoint makes the tenant's answer stale at once
in this process and within about a second (`local_seconds`) in every other."""

from __future__ import annotations

import logging

from core.cache import VersionedCache
from webhooks.models import Endpoint

logger = logging.getLogger(__name__)

wanted_types: VersionedCache[frozenset[str]] = VersionedCache("webhook-subscriptions", local_seconds=1.0)


def _read(tenant_id: int) -> frozenset[str]:
    found: set[str] = set()
    for types in Endpoint.objects.filter(tenant_id=tenant_id, is_enabled=True).values_list(
        "event_types", flat=True
    ):
        found.update(types)
    return frozenset(found)


def wanted(tenant_id: int) -> frozenset[str]:
    """The event types some enabled endpoint of the tenant chose (read from the database when
    the cache is cold or out of reach)."""
    key = str(tenant_id)
    try:
        version, stored = wanted_types.lookup(tenant_id, key)
    except Exception:  # Redis down: ask the database, every time
        logger.warning("webhook subscriptions cache unreachable", exc_info=True)
        return _read(tenant_id)
    if stored is not None:
        return stored.value
    return wanted_types.store(key, version, _read(tenant_id), timeout=3600).value


def changed(tenant_id: int) -> None:
    wanted_types.changed(tenant_id)

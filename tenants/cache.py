"""Which tenant answers on a host, remembered in each process, invalidated by a version in Redis.

Every request needs its tenant (tenants.middleware); asking PostgreSQL each time cost a query
and its ORM compilation on every request. Each process keeps host → tenant (or "no tenant")
and trusts it while a version token in Redis is unchanged; it reads that token at most once
every second. Any save or delete of a Tenant or a Domain (services, Django
admin, the demo seed: the model signals, connected in TenantsConfig.ready) writes a new token at
once and again after commit. So a change (a new host, a deactivated tenant) shows on the next
request in the process that made it and within about a second in every other process; an
answer read from the old rows between the two bumps is dropped at the second. `QuerySet.update()`
on those models sends no signal: call `tenants_changed()` after one.

If Redis cannot be read, the tenant is read from PostgreSQL as before (nothing is remembered).
"""

from __future__ import annotations

import copy
import logging

from django.http.request import split_domain_port

from core.cache import VersionedCache
from tenants.models import Tenant
from tenants.selectors import primary_host, tenant_for_host

logger = logging.getLogger(__name__)

# In this process only (core.cache, shared=False); the version is read at most once a second;
# past 1,024 hosts (unknown ones included) it starts afresh.
hosts: VersionedCache[Tenant | None] = VersionedCache(
    "tenants:hosts", shared=False, local_seconds=1.0, local_size=1024
)


# Each tenant's primary host, under the same version (a Domain change forgets both).
primary_hosts: VersionedCache[str | None] = VersionedCache(
    "tenants:hosts", shared=False, local_seconds=1.0, local_size=1024
)


def forget() -> None:
    """Drop what this process remembers (the next request reads the version again)."""
    hosts.forget()
    primary_hosts.forget()


def tenants_changed() -> None:
    """Every process forgets its hosts: now, and again once the current transaction commits (an
    answer read from the old rows in between is not kept)."""
    forget()
    hosts.changed()


def primary_host_cached(tenant_id: int) -> str | None:
    """The tenant's primary host (None when it has none), remembered with the hosts: a Domain
    change forgets both. Links in e-mails and credentials ask for it many times per job."""
    key = str(tenant_id)
    try:
        version, stored = primary_hosts.lookup("", key)
    except Exception:
        logger.exception("tenants' host cache version unreadable; reading the host from the database")
        primary_hosts.forget()
        return primary_host(tenant_id)
    if stored is not None:
        return stored.value
    found = primary_host(tenant_id)
    primary_hosts.store(key, version, found)
    return found


def tenant_for_host_cached(host: str) -> Tenant | None:
    """tenants.selectors.tenant_for_host, remembered (module doc). A copy each call: a request
    may change its tenant object without touching another request's."""
    name = split_domain_port(host)[0]
    try:
        version, stored = hosts.lookup("", name)
    except Exception:
        logger.exception("tenants' host cache version unreadable; reading the tenant from the database")
        hosts.forget()
        return tenant_for_host(host)
    if stored is not None:
        found = stored.value
    else:
        found = tenant_for_host(host)
        hosts.store(name, version, found)
    return copy.copy(found) if found is not None else None

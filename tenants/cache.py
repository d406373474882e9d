"""Which tenant answers on a host, remembered in each process, invalidated by a version in Redis.

Every request needs its tenant (tenants.middleware); asking PostgreSQL each time cost a query
and its ORM compilation on every request. Each process keeps host → tenant (or "no tenant")
and trusts it while a version token in Redis is unchanged; it reads that token at most once
every LOCAL_VERSION_SECONDS. Any save or delete of a Tenant or a Domain (services, Django
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
import time
import uuid
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.http.request import split_domain_port

from tenants.models import Tenant
from tenants.selectors import tenant_for_host

logger = logging.getLogger(__name__)

# How long a process trusts the version it last read from Redis.
LOCAL_VERSION_SECONDS = 1.0
# Hosts one process remembers (unknown ones included); past this it starts afresh.
LOCAL_HOSTS = 1024
VERSION_KEY = "tenants:hosts:version"

_clock = time.monotonic
# Per process: the version the remembered hosts belong to, when it was last read, the hosts.
_version: list[Any] = [None, float("-inf")]
_hosts: dict[str, Tenant | None] = {}


def forget() -> None:
    """Drop what this process remembers (the next request reads the version again)."""
    _hosts.clear()
    _version[:] = [None, float("-inf")]


def _bump() -> None:
    forget()
    try:
        cache.set(VERSION_KEY, uuid.uuid4().hex, None)
    except Exception:  # the cache being down must never undo a tenant change
        logger.exception("could not bump the tenants' host cache version")


def tenants_changed() -> None:
    """Every process forgets its hosts: now, and again once the current transaction commits (an
    answer read from the old rows in between is not kept)."""
    _bump()
    transaction.on_commit(_bump)


def _current_version() -> str:
    version = cache.get(VERSION_KEY)
    if version is None:  # never set, or evicted: start one (another process may win the race)
        cache.add(VERSION_KEY, uuid.uuid4().hex, None)
        version = cache.get(VERSION_KEY)
    return str(version)


def tenant_for_host_cached(host: str) -> Tenant | None:
    """tenants.selectors.tenant_for_host, remembered (module doc). A copy each call: a request
    may change its tenant object without touching another request's."""
    name = split_domain_port(host)[0]
    now = _clock()
    if now - _version[1] >= LOCAL_VERSION_SECONDS:
        try:
            version = _current_version()
        except Exception:
            logger.exception("tenants' host cache version unreadable; reading the tenant from the database")
            forget()
            return tenant_for_host(host)
        if version != _version[0]:
            _hosts.clear()
        _version[:] = [version, now]
    if name in _hosts:
        found = _hosts[name]
    else:
        found = tenant_for_host(host)
        if len(_hosts) >= LOCAL_HOSTS:
            _hosts.clear()  # simpler than LRU bookkeeping; refilled at once
        _hosts[name] = found
    return copy.copy(found) if found is not None else None

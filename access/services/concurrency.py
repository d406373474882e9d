"""At most N calls to one LMS at once, from every worker process: a counting semaphore in Redis.

Each holder is a member of a sorted set keyed by the connection, scored by when its lease runs
out. Taking a slot is one Lua script (drop lapsed leases, count, add if below the limit), so two
workers can never both take the last slot. A worker that dies holding a slot loses it when its
lease lapses (LEASE_SECONDS, longer than any LMS call's timeout).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any, cast

import redis
from django.conf import settings

from access.lms.base import LmsError

LEASE_SECONDS = 120
WAIT_SECONDS = 30.0  # then the job is tried again later (LmsError, retryable)
_POLL_SECONDS = 0.05

_TAKE = """
local now = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[4])
  redis.call('EXPIRE', KEYS[1], tonumber(ARGV[3]) * 2)
  return 1
end
return 0
"""


@cache
def _redis(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=2)


def _key(connection_id: int) -> str:
    prefix = settings.CACHES["default"].get("KEY_PREFIX", "")
    return f"{prefix}:access:lms-slots:{connection_id}"


def in_use(connection_id: int) -> int:
    """How many slots are held now (lapsed leases not counted)."""
    client = _redis(settings.REDIS_URL)
    return int(cast(Any, client.zcount(_key(connection_id), time.time(), "+inf")))


@contextmanager
def lms_slot(
    connection_id: int, limit: int, *, wait: float = WAIT_SECONDS, lease: int = LEASE_SECONDS
) -> Iterator[None]:
    """Hold one of the connection's `limit` slots for the block; wait at most `wait` seconds for
    one, then LmsError(retryable): the LMS is as busy as we let it be, try later."""
    client = _redis(settings.REDIS_URL)
    key, token = _key(connection_id), uuid.uuid4().hex
    deadline = time.monotonic() + wait
    while not client.eval(_TAKE, 1, key, time.time(), max(limit, 1), lease, token):
        if time.monotonic() >= deadline:
            raise LmsError(
                "The LMS is busy with other requests from Microcred; this will be tried again.",
                retryable=True,
            )
        time.sleep(_POLL_SECONDS)
    try:
        yield
    finally:
        client.zrem(key, token)

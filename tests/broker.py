"""The Celery broker out of reach, for the duration of a `with` block (a dead address, no
publish retries), to prove that work survives a broker outage at commit."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from microcred.celery import app


@contextmanager
def broker_down() -> Iterator[None]:
    celery: Any = app  # private pools: typed stubs don't know them
    conf, amqp = celery.conf, celery.amqp
    saved = conf.broker_url, conf.task_publish_retry, celery._pool, amqp._producer_pool
    conf.broker_url = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    conf.task_publish_retry = False
    celery._pool = amqp._producer_pool = None  # connect afresh, to the dead address
    try:
        yield
    finally:
        conf.broker_url, conf.task_publish_retry, celery._pool, amqp._producer_pool = saved

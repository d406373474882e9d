"""Sending a Celery task from a service, by name, once the current transaction has committed.

    enqueue_after_commit("payments.refund", refund.pk)

A service names the task instead of importing it, so an app's services never import its own
tasks module (which imports the services): no import circle. The task is sent after commit, so
a worker never reads rows that are not there yet and a rolled-back change sends nothing.

If the broker cannot be reached the request still succeeds: the failure is logged and the
function returns False. Every job sent this way is one a sweep also finds (an unsent outbox row,
an unapplied event, a refund still pending), so nothing is lost; a caller without such a sweep
says so where it calls.
"""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

from celery import current_app
from django.db import transaction

logger = logging.getLogger(__name__)


def _task(name: str) -> Any:
    """The registered task (eager mode and the task's own options apply), or None when this
    process has not imported it."""
    tasks = current_app.tasks
    if name not in tasks:
        current_app.loader.import_default_modules()  # each app's tasks.py (autodiscovery)
    return tasks.get(name)


def enqueue(name: str, *args: Any, **kwargs: Any) -> bool:
    """Send the task now; False (logged) when the broker is out of reach."""
    try:
        task = _task(name)
        if task is not None:
            task.apply_async(args=args, kwargs=kwargs)
        else:
            current_app.send_task(name, args=args, kwargs=kwargs)
    except Exception:  # the broker being down must not fail a committed change
        logger.exception("could not enqueue %s%r; the sweep will find the work", name, args)
        return False
    return True


def enqueue_after_commit(name: str, *args: Any, **kwargs: Any) -> None:
    """Send the task once the current transaction commits (at once outside one)."""
    transaction.on_commit(partial(enqueue, name, *args, **kwargs))

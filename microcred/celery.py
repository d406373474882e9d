"""The Celery application: tasks are found in each app's tasks.py."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "microcred.settings")

app = Celery("microcred")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task(name="microcred.ping", ignore_result=False)
def ping() -> str:
    """The health check's round trip: web → broker → worker → result store → web."""
    return "pong"

from __future__ import annotations

import pytest
from django.test import Client

from demand import services, tasks


def host(tenant) -> str:
    return str(tenant.domains.get(is_primary=True).host)


def anonymous(tenant, **kwargs) -> Client:
    return Client(HTTP_HOST=host(tenant), **kwargs)


@pytest.fixture
def run_sweep(monkeypatch):
    """The beat sweep with its jobs run in this thread (what the worker would do)."""

    def enqueue(name: str, *args: object) -> bool:
        assert name == "demand.notify_interest"
        services.interest_notify(interest_id=args[0])  # type: ignore[arg-type]
        return True

    monkeypatch.setattr(tasks, "enqueue", enqueue)
    return tasks.interests_notify_due


@pytest.fixture
def no_page_cache(settings):
    settings.CATALOG_CACHE_SECONDS = 0

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest

from catalog.models import Offering
from tenants.models import Tenant, Unit
from tests.catalog.factories import OfferingFactory
from tests.credentials.conftest import sent
from tests.payments.conftest import eager_tasks, shop, stripe_server
from tests.webhooks.receiver import Receiver, running
from webhooks import services
from webhooks.models import Endpoint, EventType

__all__ = ["eager_tasks", "sent", "shop", "stripe_server"]

ALL_EVENTS = list(EventType.values)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running() as found:
        yield found


def endpoint(
    tenant: Tenant, url: str, *, unit: Unit | None = None, events: list[str] | None = None
) -> tuple[Endpoint, str]:
    made = services.endpoint_create(tenant=tenant, unit=unit, url=url, event_types=events or ALL_EVENTS)
    return made.endpoint, made.secret


def free_offering(unit: Unit, **fields: object) -> Offering:
    defaults: dict[str, object] = {"microcredential__unit": unit, "capacity": 20, "price_minor": 0}
    return OfferingFactory.create(**{**defaults, **fields})


class Clock:
    """An injected `now` for the sender: moved on by the test."""

    def __init__(self, start: datetime) -> None:
        self.at = start

    def __call__(self) -> datetime:
        return self.at

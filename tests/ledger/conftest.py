from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from tenants.models import Tenant, Unit
from tests.factories import TenantFactory, UnitFactory

WHEN = datetime(2026, 3, 2, 15, 30, tzinfo=UTC)


@dataclass
class Books:
    tenant: Tenant
    nursing: Unit
    business: Unit
    other_tenant: Tenant
    other_unit: Unit


def make_books() -> Books:
    tenant = TenantFactory.create()
    other = TenantFactory.create()
    return Books(
        tenant=tenant,
        nursing=UnitFactory.create(tenant=tenant),
        business=UnitFactory.create(tenant=tenant),
        other_tenant=other,
        other_unit=UnitFactory.create(tenant=other),
    )


@pytest.fixture
def books(db) -> Books:
    return make_books()

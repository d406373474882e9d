from __future__ import annotations

from dataclasses import dataclass
from uuid import uuid4

import pytest
from django.test import Client

from identity.models import User
from tenants.models import Tenant, Unit
from tests.factories import StaffRole, TenantFactory, UnitFactory, UserFactory, make_staff


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _own_cache_namespace(settings):
    """Rate limits are counted in the Django cache (the real Redis): each test starts with none
    spent, without flushing anything another test or process keeps there."""
    settings.CACHES = {"default": {**settings.CACHES["default"], "KEY_PREFIX": f"test-{uuid4().hex}"}}


@pytest.fixture(autouse=True)
def _fresh_tenant_host_cache():
    """Each test starts with no host remembered in this process (tenants.cache), as it starts
    with its own cache namespace: tenants rolled back with an earlier test are not served."""
    from tenants.cache import forget

    forget()


@dataclass
class World:
    """Two institutions with two units each, and staff of every kind."""

    a: Tenant
    b: Tenant
    a_unit1: Unit
    a_unit2: Unit
    b_unit1: Unit
    a_admin: User
    a_unit1_admin: User
    a_finance_unit2: User
    a_finance_all: User
    b_admin: User
    learner: User

    def client_for(self, user: User | None, tenant: Tenant) -> Client:
        client = Client(HTTP_HOST=tenant.domains.get(is_primary=True).host)
        if user is not None:
            client.force_login(user)
        return client


@pytest.fixture
def world(db) -> World:
    a = TenantFactory.create(slug="alpha", name="Alpha University", hosts=["alpha.test", "www.alpha.test"])
    b = TenantFactory.create(slug="beta", name="Beta College", hosts=["beta.test"])
    a_unit1 = UnitFactory.create(
        tenant=a, slug="continuing-ed", name="Alpha Continuing Ed", primary_colour="#123456"
    )
    a_unit2 = UnitFactory.create(tenant=a, slug="business", name="Alpha Business School")
    b_unit1 = UnitFactory.create(tenant=b, slug="workforce", name="Beta Workforce")
    return World(
        a=a,
        b=b,
        a_unit1=a_unit1,
        a_unit2=a_unit2,
        b_unit1=b_unit1,
        a_admin=make_staff(a, StaffRole.TENANT_ADMIN),
        a_unit1_admin=make_staff(a, StaffRole.UNIT_ADMIN, [a_unit1]),
        a_finance_unit2=make_staff(a, StaffRole.FINANCE, [a_unit2]),
        a_finance_all=make_staff(a, StaffRole.FINANCE, all_units=True),
        b_admin=make_staff(b, StaffRole.TENANT_ADMIN),
        learner=UserFactory.create(),
    )

import pytest

from tests.factories import TenantFactory


@pytest.mark.parametrize("host", ["alpha.test", "www.alpha.test", "ALPHA.test:8000"])
def test_each_domain_of_a_tenant_serves_its_site(world, client, host):
    response = client.get("/", HTTP_HOST=host)

    assert response.status_code == 200
    body = response.content.decode()
    assert "Alpha University" in body
    assert "Alpha Continuing Ed" in body
    assert "Beta" not in body


def test_second_tenant_sees_only_its_own_units(world, client):
    body = client.get("/", HTTP_HOST="beta.test").content.decode()

    assert "Beta College" in body
    assert "Beta Workforce" in body
    assert "Alpha" not in body


def test_unknown_host_gets_a_plain_404_not_another_tenants_site(world, client):
    response = client.get("/", HTTP_HOST="gamma.localhost")

    assert response.status_code == 404
    body = response.content.decode()
    assert "There is no course site at this address" in body
    assert "Alpha" not in body
    assert "Beta" not in body


def test_inactive_tenant_is_not_served(world, client):
    world.b.is_active = False
    world.b.save()

    assert client.get("/", HTTP_HOST="beta.test").status_code == 404


def test_unit_page_of_another_tenant_is_404(world, client):
    assert client.get("/u/workforce/", HTTP_HOST="beta.test").status_code == 200
    assert client.get("/u/workforce/", HTTP_HOST="alpha.test").status_code == 404


def test_unit_page_carries_the_unit_brand(world, client):
    body = client.get("/u/continuing-ed/", HTTP_HOST="alpha.test").content.decode()

    assert "--brand: #123456" in body
    assert "--on-brand: #ffffff" in body
    assert "<h1>Alpha Continuing Ed</h1>" in body


def test_inactive_unit_page_is_404(world, client):
    world.a_unit1.is_active = False
    world.a_unit1.save()

    assert client.get("/u/continuing-ed/", HTTP_HOST="alpha.test").status_code == 404


def test_domain_host_is_stored_lowercase_and_unique_across_tenants(db):
    TenantFactory.create(hosts=["Learn.Example.EDU"])
    from django.db import IntegrityError, transaction

    from tenants.models import Domain

    assert Domain.objects.get().host == "learn.example.edu"
    other = TenantFactory.create(hosts=["other.example.edu"])
    with pytest.raises(IntegrityError), transaction.atomic():
        Domain.objects.create(tenant=other, host="learn.example.edu")


@pytest.mark.parametrize(
    ("path", "who"), [("/", None), ("/console/units/", "a_admin"), ("/console/staff/", "a_admin")]
)
def test_listing_pages_do_not_query_per_row(world, path, who):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tenants.cache import tenant_for_host_cached
    from tenants.models import StaffRole
    from tests.factories import UnitFactory, make_staff

    client = world.client_for(getattr(world, who) if who else None, world.a)
    tenant_for_host_cached("alpha.test")  # as a running server, the process knows the host
    with CaptureQueriesContext(connection) as few:
        assert client.get(path).status_code == 200
    for _ in range(8):
        unit = UnitFactory.create(tenant=world.a)
        make_staff(world.a, StaffRole.UNIT_ADMIN, [unit])
    with CaptureQueriesContext(connection) as many:
        assert client.get(path).status_code == 200

    assert len(many) == len(few)

"""The host → tenant lookup is remembered per process (tenants.cache) and never serves a host or
tenant after it changed: at once in the process that changed it, within a second elsewhere."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tenants import cache as host_cache
from tenants.models import Domain, Tenant


def _tenant_queries(client, host: str) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as queries:
        status = client.get("/", HTTP_HOST=host).status_code
    return status, sum(1 for q in queries.captured_queries if "tenants_domain" in q["sql"])


def test_a_repeat_request_does_not_ask_the_database_for_its_tenant(world, client):
    assert _tenant_queries(client, "alpha.test") == (200, 1)
    assert _tenant_queries(client, "alpha.test") == (200, 0)
    assert _tenant_queries(client, "ALPHA.test:8000") == (200, 0)  # the same host name


def test_a_host_added_to_a_tenant_is_served_at_once(world, client):
    assert client.get("/", HTTP_HOST="learn.alpha.test").status_code == 404  # remembered as unknown

    Domain.objects.create(tenant=world.a, host="learn.alpha.test")

    response = client.get("/", HTTP_HOST="learn.alpha.test")
    assert response.status_code == 200
    assert "Alpha University" in response.content.decode()


def test_a_changed_host_name_serves_the_new_name_only(world, client):
    assert client.get("/", HTTP_HOST="beta.test").status_code == 200
    domain = Domain.objects.get(host="beta.test")

    domain.host = "courses.beta.test"
    domain.save()

    assert client.get("/", HTTP_HOST="beta.test").status_code == 404
    assert "Beta College" in client.get("/", HTTP_HOST="courses.beta.test").content.decode()


def test_a_host_moved_to_another_tenant_serves_that_tenant(world, client):
    assert "Alpha University" in client.get("/", HTTP_HOST="www.alpha.test").content.decode()

    Domain.objects.filter(host="www.alpha.test").get().delete()
    Domain.objects.create(tenant=world.b, host="www.alpha.test")

    body = client.get("/", HTTP_HOST="www.alpha.test").content.decode()
    assert "Beta College" in body
    assert "Alpha University" not in body


def test_a_deactivated_tenant_stops_at_once_and_a_renamed_one_shows_its_name(world, client):
    assert client.get("/", HTTP_HOST="beta.test").status_code == 200
    world.a.name = "Alpha Institute"
    world.a.save()
    world.b.is_active = False
    world.b.save()

    assert client.get("/", HTTP_HOST="beta.test").status_code == 404
    assert "Alpha Institute" in client.get("/", HTTP_HOST="alpha.test").content.decode()


def test_a_change_made_by_another_process_shows_within_a_second(world, client, monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(host_cache.hosts, "clock", lambda: now[0])
    assert client.get("/", HTTP_HOST="beta.test").status_code == 200
    # Another process deactivates the tenant: its rows change and it writes a new version to Redis
    # (this process's memory is not touched).
    Tenant.objects.filter(pk=world.b.pk).update(is_active=False)
    cache.set(host_cache.hosts.version_key(""), "another-process", None)

    now[0] += host_cache.hosts.local_seconds
    assert client.get("/", HTTP_HOST="beta.test").status_code == 404


def test_without_redis_the_tenant_is_read_from_the_database(world, client, settings):
    assert client.get("/", HTTP_HOST="beta.test").status_code == 200

    # Nothing listens on port 1: every cache call fails.
    settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": "redis://127.0.0.1:1/0"}}
    host_cache.forget()
    Tenant.objects.filter(pk=world.b.pk).update(is_active=False)

    assert client.get("/", HTTP_HOST="beta.test").status_code == 404
    assert _tenant_queries(client, "alpha.test") == (200, 1)
    assert _tenant_queries(client, "alpha.test") == (200, 1)


@pytest.mark.django_db(transaction=True)
def test_an_answer_read_before_the_change_committed_is_not_kept():
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connections, transaction

    from tests.factories import TenantFactory

    TenantFactory.create(slug="gamma", name="Gamma Polytechnic", hosts=["gamma.test"])

    def elsewhere() -> str:  # another request, on its own database connection
        try:
            found = host_cache.tenant_for_host_cached("gamma.test")
            return found.name if found else ""
        finally:
            connections.close_all()

    with ThreadPoolExecutor(1) as other:
        with transaction.atomic():
            Tenant.objects.filter(slug="gamma").update(name="Gamma Tech")
            host_cache.tenants_changed()
            # Not committed yet: the other request reads the old name, and remembers it.
            assert other.submit(elsewhere).result() == "Gamma Polytechnic"
        assert other.submit(elsewhere).result() == "Gamma Tech"

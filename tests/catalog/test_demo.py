"""The demo catalog covers every case a reviewer should see, and seeding twice changes nothing."""

import re
from io import StringIO

from django.core.management import call_command

from catalog.models import Microcredential, Offering
from tenants.models import Tenant


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def test_seeding_twice_changes_nothing(db):
    assert seed().strip() == "Demo data seeded."
    counts = (Microcredential.objects.count(), Offering.objects.count())

    assert seed().strip() == "Demo data already present; left as it is."
    assert (Microcredential.objects.count(), Offering.objects.count()) == counts


def test_demo_catalog_shows_every_case(db, client):
    seed()
    northfield = Tenant.objects.get(slug="northfield")

    pages = [client.get("/", HTTP_HOST="127.0.0.1").content.decode()]
    pages.append(client.get("/?page=2", HTTP_HOST="127.0.0.1").content.decode())
    body = "".join(pages)

    assert Offering.objects.filter(tenant=northfield).count() >= 12
    assert northfield.units.count() >= 2
    assert len(set(northfield.units.values_list("primary_colour", flat=True))) >= 2
    assert '<dd class="price">Free</dd>' in body
    assert '<dd class="price">$1,250.00</dd>' in body
    assert "3 seats left" in body
    assert "Full — join the wait-list" in body
    assert re.search(r"Enrollment opens \d{1,2} \w{3}", body)
    assert "Enrollment closed" in body
    assert "<dd>Online</dd>" in body
    assert "<dd>In person</dd>" in body


def test_the_second_tenant_sells_in_another_currency(db, client):
    seed()

    body = client.get("/", HTTP_HOST="harbor.localhost").content.decode()

    assert Tenant.objects.get(slug="harbor").currency == "CAD"
    assert '<dd class="price">CA$180.00</dd>' in body
    assert "Northfield" not in body

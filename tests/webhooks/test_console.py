"""The webhooks console: who sees which endpoint, adding one (its secret shown once), bad input
said on the form (400, never a 500), a test event, sending again, disabling."""

from __future__ import annotations

import pytest
from django.urls import get_resolver

from enrollment import services as enrollment_services
from tests.factories import UserFactory
from tests.test_no_5xx import _fill, _routes, _sweep
from tests.webhooks.conftest import endpoint, free_offering
from webhooks import services
from webhooks.models import Delivery, Endpoint

pytestmark = pytest.mark.django_db


def test_a_unit_admin_adds_an_endpoint_and_sees_its_secret_once(world):
    console = world.client_for(world.a_unit1_admin, world.a)
    form = console.get("/console/webhooks/new/")
    assert form.status_code == 200
    assert "Every unit (tenant-wide)" not in form.content.decode()  # theirs only
    made = console.post(
        "/console/webhooks/new/",
        {
            "url": "https://crm.example.edu/hooks",
            "unit": world.a_unit1.pk,
            "event_types": ["enrollment.confirmed", "order.paid"],
            "description": "CRM",
        },
    )
    assert made.status_code == 302, made.content.decode()
    hook = Endpoint.objects.get()
    assert (hook.unit, hook.event_types, hook.tenant) == (
        world.a_unit1,
        ["enrollment.confirmed", "order.paid"],
        world.a,
    )
    first = console.get(made["Location"]).content.decode()
    secret = services.endpoint_secret(hook)
    assert secret.startswith("whsec_")
    assert secret in first
    again = console.get(made["Location"]).content.decode()
    assert secret not in again
    assert f"whsec_…{secret[-4:]}" in again
    listing = console.get("/console/webhooks/").content.decode()
    assert '<td class="num">0</td>' in listing  # nothing waiting, nothing given up
    assert "https://crm.example.edu/hooks" in listing
    assert "Enrollment confirmed, Order paid" in listing


def test_a_tenant_admin_may_add_a_tenant_wide_endpoint(world):
    console = world.client_for(world.a_admin, world.a)
    made = console.post(
        "/console/webhooks/new/",
        {"url": "https://hub.example.edu/in", "unit": "", "event_types": ["credential.issued"]},
    )
    assert made.status_code == 302, made.content.decode()
    assert Endpoint.objects.get().unit is None


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("ftp://example.edu/x", "Enter an http:// or https:// address."),
        ("not a url", "Enter an http:// or https:// address."),
        ("https://user:pw@example.edu/x", "Leave the user name and password out of the address."),
        ("", "This field is required."),
    ],
)
def test_a_bad_address_is_said_on_the_form(world, url, said):
    console = world.client_for(world.a_unit1_admin, world.a)
    page = console.post(
        "/console/webhooks/new/", {"url": url, "unit": world.a_unit1.pk, "event_types": ["order.paid"]}
    )
    assert page.status_code == 400
    assert said in page.content.decode()
    assert not Endpoint.objects.exists()


def test_http_is_refused_where_the_site_runs_on_https(world, settings):
    settings.WEBHOOKS_HTTPS_ONLY = True
    console = world.client_for(world.a_unit1_admin, world.a)
    data = {"unit": world.a_unit1.pk, "event_types": ["order.paid"]}
    page = console.post("/console/webhooks/new/", {**data, "url": "http://crm.example.edu/x"})
    assert page.status_code == 400
    assert "Enter an https:// address" in page.content.decode()
    assert (
        console.post("/console/webhooks/new/", {**data, "url": "http://localhost:9000/x"}).status_code == 302
    )


def test_no_event_chosen_or_another_units_unit_is_refused(world):
    console = world.client_for(world.a_unit1_admin, world.a)
    none = console.post("/console/webhooks/new/", {"url": "https://x.example.edu/", "unit": world.a_unit1.pk})
    assert none.status_code == 400
    assert "Choose at least one event." in none.content.decode()
    other = console.post(
        "/console/webhooks/new/",
        {"url": "https://x.example.edu/", "unit": world.a_unit2.pk, "event_types": ["order.paid"]},
    )
    assert other.status_code == 400
    assert not Endpoint.objects.exists()


def test_who_reaches_which_endpoint(world):
    unit1, _s = endpoint(world.a, "https://one.example.edu/", unit=world.a_unit1)
    unit2, _s = endpoint(world.a, "https://two.example.edu/", unit=world.a_unit2)
    wide, _s = endpoint(world.a, "https://all.example.edu/")
    beta, _s = endpoint(world.b, "https://beta.example.edu/")
    admin = world.client_for(world.a_admin, world.a)
    unit_admin = world.client_for(world.a_unit1_admin, world.a)
    for hook in (unit1, unit2, wide):
        assert admin.get(f"/console/webhooks/{hook.pk}/").status_code == 200
    assert admin.get(f"/console/webhooks/{beta.pk}/").status_code == 404
    assert unit_admin.get(f"/console/webhooks/{unit1.pk}/").status_code == 200
    for hook in (unit2, wide, beta):
        assert unit_admin.get(f"/console/webhooks/{hook.pk}/").status_code == 404
        assert unit_admin.post(f"/console/webhooks/{hook.pk}/ping/").status_code == 404
        assert unit_admin.post(f"/console/webhooks/{hook.pk}/toggle/").status_code == 404
    listing = unit_admin.get("/console/webhooks/").content.decode()
    assert "one.example.edu" in listing
    assert "two.example.edu" not in listing
    assert "all.example.edu" not in listing
    finance = world.client_for(world.a_finance_all, world.a)
    assert finance.get("/console/webhooks/").status_code == 404  # runs no unit
    assert world.client_for(world.learner, world.a).get("/console/webhooks/").status_code == 404
    assert not Delivery.objects.exists()
    assert Endpoint.objects.get(pk=unit2.pk).is_enabled


def test_ping_replay_and_disable_from_the_endpoint_page(world, receiver):
    hook, _secret = endpoint(world.a, receiver.url, unit=world.a_unit1)
    console = world.client_for(world.a_unit1_admin, world.a)
    page = f"/console/webhooks/{hook.pk}/"
    assert console.post(f"{page}ping/").status_code == 302
    ping = Delivery.objects.get(endpoint=hook)
    assert ping.event_type == "ping"
    services.endpoint_deliver(endpoint_id=hook.pk)
    shown = console.get(page).content.decode()
    assert ping.event_id in shown
    assert "Delivered" in shown
    assert "200" in shown
    assert console.post(f"{page}deliveries/{ping.pk}/replay/").status_code == 302
    ping.refresh_from_db()
    assert (ping.status, ping.attempts) == ("pending", 0)
    other, _s = endpoint(world.a, receiver.url, unit=world.a_unit2)
    assert console.post(f"/console/webhooks/{other.pk}/deliveries/{ping.pk}/replay/").status_code == 404
    assert console.post(f"{page}deliveries/{2**31}/replay/").status_code == 404

    assert console.post(f"{page}toggle/").status_code == 302
    hook.refresh_from_db()
    assert not hook.is_enabled
    enrollment_services.enrollment_create(
        tenant=world.a, learner=UserFactory.create(), offering_id=free_offering(world.a_unit1).pk
    )
    assert Delivery.objects.filter(endpoint=hook).count() == 1  # nothing new recorded for it
    refused = console.post(f"{page}ping/", follow=True).content.decode()
    assert "This endpoint is disabled: enable it first, then send." in refused
    assert services.endpoint_deliver(endpoint_id=hook.pk).sent == 0
    console.post(f"{page}toggle/")
    assert services.endpoint_deliver(endpoint_id=hook.pk).sent == 1  # the replay waited


@pytest.mark.parametrize("who", ["tenant_admin", "unit_admin", "learner", "anonymous"])
def test_webhook_pages_never_answer_a_5xx(world, who, receiver):
    hook, _secret = endpoint(world.a, receiver.url, unit=world.a_unit1)
    ping = services.ping_send(tenant=world.a, endpoint_id=hook.pk)
    user = {"tenant_admin": world.a_admin, "unit_admin": world.a_unit1_admin, "learner": world.learner}.get(
        who
    )
    client = world.client_for(user, world.a)
    client.raise_request_exception = False
    routes = sorted(r for r in _routes(get_resolver().url_patterns) if r.startswith("/console/webhooks"))
    assert len(routes) >= 6
    found: list[str] = []
    for route in routes:
        if "<int:" in route:
            path = _fill(route, 2**63)
            for method in (client.get, client.post):
                if method(path).status_code >= 500:
                    found.append(f"5xx {method.__name__.upper()} {path}")
        numbers = sorted({hook.pk, ping.pk}) if "<int:" in route else [0]
        found += _sweep(client, route, numbers, {"url", "unit", "event_types", "description"})
    assert not found, "\n".join(found)


def test_the_list_counts_what_waits_and_what_was_given_up(world, receiver):
    hook, _s = endpoint(world.a, receiver.url, unit=world.a_unit1)
    for _n in range(3):
        services.ping_send(tenant=world.a, endpoint_id=hook.pk)
    first = Delivery.objects.filter(endpoint=hook).order_by("pk")[0]
    Delivery.objects.filter(pk=first.pk).update(status="failed")
    listing = world.client_for(world.a_unit1_admin, world.a).get("/console/webhooks/").content.decode()
    assert '<td class="num">2</td>' in listing
    assert '<span class="badge">1</span>' in listing
    page = world.client_for(world.a_unit1_admin, world.a).get(f"/console/webhooks/{hook.pk}/?status=failed")
    assert page.content.decode().count("Send again<span") == 1
    others = Delivery.objects.filter(endpoint=hook).exclude(pk=first.pk).values_list("event_id", flat=True)
    assert first.event_id in page.content.decode()
    assert not any(event_id in page.content.decode() for event_id in others)
    every = world.client_for(world.a_unit1_admin, world.a).get(
        f"/console/webhooks/{hook.pk}/?status=nonsense"
    )
    assert every.status_code == 200
    assert every.content.decode().count("Send again<span") == 3

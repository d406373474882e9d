"""Every staff page: who reaches it, and that everything out of reach is a 404."""

import pytest

STAFF_PAGES = ["/console/", "/console/units/", "/console/units/continuing-ed/"]
ADMIN_PAGES = ["/console/units/new/", "/console/staff/", "/console/staff/invite/"]


@pytest.mark.parametrize("path", STAFF_PAGES + ADMIN_PAGES)
def test_anonymous_visitor_is_sent_to_sign_in(world, path):
    response = world.client_for(None, world.a).get(path)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


@pytest.mark.parametrize("path", STAFF_PAGES + ADMIN_PAGES)
def test_signed_in_learner_gets_404(world, path):
    assert world.client_for(world.learner, world.a).get(path).status_code == 404


@pytest.mark.parametrize("path", STAFF_PAGES + ADMIN_PAGES)
def test_another_tenants_admin_gets_404(world, path):
    assert world.client_for(world.b_admin, world.a).get(path).status_code == 404


@pytest.mark.parametrize("path", STAFF_PAGES + ADMIN_PAGES)
def test_tenant_admin_reaches_every_page(world, path):
    assert world.client_for(world.a_admin, world.a).get(path).status_code == 200


def test_tenant_admin_gets_404_for_a_unit_of_another_tenant(world):
    client = world.client_for(world.a_admin, world.a)

    assert client.get("/console/units/workforce/").status_code == 404
    assert client.post("/console/units/workforce/", {"name": "Taken over"}).status_code == 404
    world.b_unit1.refresh_from_db()
    assert world.b_unit1.name == "Beta Workforce"


def test_unit_admin_sees_only_their_unit(world):
    client = world.client_for(world.a_unit1_admin, world.a)

    listing = client.get("/console/units/").content.decode()
    assert "Alpha Continuing Ed" in listing
    assert "Alpha Business School" not in listing
    assert client.get("/console/units/continuing-ed/").status_code == 200
    assert client.get("/console/units/business/").status_code == 404


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_unit_admin_gets_404_on_tenant_admin_pages(world, path):
    assert world.client_for(world.a_unit1_admin, world.a).get(path).status_code == 404


def test_unit_admin_cannot_change_their_unit_settlement(world):
    client = world.client_for(world.a_unit1_admin, world.a)

    response = client.post(
        "/console/units/continuing-ed/",
        {
            "name": "Renamed",
            "slug": "continuing-ed",
            "primary_colour": "#000000",
            "gl_code": "X",
            "settlement_kind": "internal_ledger",
        },
    )

    assert response.status_code == 404
    world.a_unit1.refresh_from_db()
    assert world.a_unit1.name == "Alpha Continuing Ed"


def test_finance_for_chosen_units_sees_only_those(world):
    client = world.client_for(world.a_finance_unit2, world.a)

    assert client.get("/console/units/business/").status_code == 200
    assert client.get("/console/units/continuing-ed/").status_code == 404


def test_finance_for_all_units_sees_every_unit_of_its_tenant_only(world):
    client = world.client_for(world.a_finance_all, world.a)

    listing = client.get("/console/units/").content.decode()
    assert "Alpha Continuing Ed" in listing
    assert "Alpha Business School" in listing
    assert "Beta Workforce" not in listing


def test_console_shows_staff_link_only_to_tenant_admins(world):
    admin_page = world.client_for(world.a_admin, world.a).get("/console/").content.decode()
    unit_page = world.client_for(world.a_unit1_admin, world.a).get("/console/").content.decode()

    assert 'href="/console/staff/"' in admin_page
    assert 'href="/console/staff/"' not in unit_page

"""Public pages come from the cache for anonymous visitors; any catalog change shows at once."""

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from catalog import services
from catalog.services import offering_seats_take
from tenants.selectors import staff_access
from tests.catalog.factories import MicrocredentialFactory, OfferingFactory, RefundPolicyFactory


@pytest.fixture
def page_cache(settings):
    settings.CATALOG_CACHE_SECONDS = 60


def get(client, path="/", **headers):
    return client.get(path, HTTP_HOST="alpha.test", **headers)


@pytest.mark.usefixtures("page_cache")
def test_a_repeat_visit_is_served_without_touching_the_catalog_tables(world, client):
    OfferingFactory.create(microcredential__unit=world.a_unit1, microcredential__title="Cached course")
    first = get(client)

    with CaptureQueriesContext(connection) as captured:
        second = get(client)

    assert second.content == first.content
    assert [q["sql"] for q in captured if "catalog_" in q["sql"]] == []
    assert "max-age=10" in second["Cache-Control"]
    assert "public" in second["Cache-Control"]
    assert get(client, HTTP_IF_NONE_MATCH=second["ETag"]).status_code == 304


@pytest.mark.usefixtures("page_cache")
def test_a_published_offering_shows_at_once(world, client):
    RefundPolicyFactory.create(unit=world.a_unit1)
    mc = MicrocredentialFactory.create(unit=world.a_unit1, title="Brand new course")
    offering = OfferingFactory.create(microcredential=mc, status="draft")
    assert "Brand new course" not in get(client).content.decode()

    access = staff_access(tenant=world.a, user=world.a_unit1_admin)
    services.offering_publish(
        tenant=world.a, access=access, actor=world.a_unit1_admin, offering_id=offering.pk
    )

    assert "Brand new course" in get(client).content.decode()
    assert "Brand new course" in get(client, "/u/continuing-ed/").content.decode()


@pytest.mark.usefixtures("page_cache")
def test_an_edit_and_an_unpublish_show_at_once(world, client):
    offering = OfferingFactory.create(microcredential__unit=world.a_unit1, price_minor=125000)
    access = staff_access(tenant=world.a, user=world.a_admin)
    assert "$1,250.00" in get(client, f"/offerings/{offering.pk}/").content.decode()

    services.offering_update(
        tenant=world.a,
        access=access,
        actor=world.a_admin,
        offering_id=offering.pk,
        fields={"price_minor": 99000},
    )
    assert "$990.00" in get(client, f"/offerings/{offering.pk}/").content.decode()

    services.offering_unpublish(tenant=world.a, access=access, actor=world.a_admin, offering_id=offering.pk)
    assert get(client, f"/offerings/{offering.pk}/").status_code == 404


@pytest.mark.usefixtures("page_cache")
def test_the_last_seat_taken_shows_full_at_once(world, client):
    offering = OfferingFactory.create(microcredential__unit=world.a_unit1, capacity=2, seats_taken=1)
    assert "1 seat left" in get(client).content.decode()

    assert offering_seats_take(tenant=world.a, offering_id=offering.pk)

    assert "Full — join the wait-list" in get(client).content.decode()


@pytest.mark.usefixtures("page_cache")
def test_a_unit_s_new_brand_shows_at_once(world, client):
    OfferingFactory.create(microcredential__unit=world.a_unit1)
    assert "--brand: #123456" in get(client).content.decode()

    world.a_unit1.primary_colour = "#0f6b5c"
    world.a_unit1.save()

    assert "--brand: #0f6b5c" in get(client).content.decode()


@pytest.mark.usefixtures("page_cache")
def test_signed_in_people_share_the_cached_page_with_their_own_parts_filled_in(world):
    OfferingFactory.create(microcredential__unit=world.a_unit1, microcredential__title="Shared course")
    client = world.client_for(world.learner, world.a)
    get(client)

    with CaptureQueriesContext(connection) as captured:
        response = get(client)

    assert [q["sql"] for q in captured if "catalog_" in q["sql"]] == []  # the shared page
    assert "private" in response["Cache-Control"]
    page = response.content.decode()
    assert "Shared course" in page
    assert "Sign out" in page
    assert "Sign in" not in page
    assert 'name="csrfmiddlewaretoken"' in page
    # An anonymous visitor gets the same cached page, with no one's parts.
    anonymous = get(Client()).content.decode()
    assert "Sign out" not in anonymous
    assert "csrfmiddlewaretoken" not in anonymous


@pytest.mark.usefixtures("page_cache")
def test_two_learners_never_see_each_others_parts_of_a_cached_offering_page(world):
    from enrollment import services as enrollment_services
    from tenants.models import StaffRole
    from tests.factories import UserFactory, make_staff

    offering = OfferingFactory.create(microcredential__unit=world.a_unit1, price_minor=5000, currency="USD")
    holder = UserFactory.create(email="holder@example.test")
    enrollment_services.enrollment_create(tenant=world.a, learner=holder, offering_id=offering.pk)
    other = make_staff(world.a, StaffRole.UNIT_ADMIN, [world.a_unit1])
    path = f"/offerings/{offering.pk}/"
    first = get(world.client_for(other, world.a), path).content.decode()  # fills the cache
    mine = get(world.client_for(holder, world.a), path).content.decode()
    theirs = get(world.client_for(other, world.a), path).content.decode()

    assert "Pay now" in mine
    assert "Staff console" not in mine
    assert "Pay now" not in theirs
    assert "Staff console" in theirs
    assert "Staff console" in first
    tokens = set()
    for page in (mine, theirs):
        found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert found is not None
        tokens.add(found.group(1))
    assert len(tokens) == 2


@pytest.mark.usefixtures("page_cache")
def test_a_waiting_message_gets_the_full_personal_page(world):
    OfferingFactory.create(microcredential__unit=world.a_unit1)
    client = world.client_for(world.learner, world.a)
    client.cookies["messages"] = "x"
    with CaptureQueriesContext(connection) as captured:
        response = get(client)
    assert [q for q in captured if "catalog_offering" in q["sql"]]
    assert "private" in response["Cache-Control"]


@pytest.mark.usefixtures("page_cache")
def test_each_tenant_has_its_own_cached_pages(world, client):
    OfferingFactory.create(microcredential__unit=world.a_unit1, microcredential__title="Alpha only")
    OfferingFactory.create(microcredential__unit=world.b_unit1, microcredential__title="Beta only")

    alpha = get(client).content.decode()
    beta = client.get("/", HTTP_HOST="beta.test").content.decode()

    assert "Alpha only" in alpha
    assert "Beta only" not in alpha
    assert "Beta only" in beta
    assert "Alpha only" not in beta


@pytest.mark.usefixtures("page_cache")
def test_a_change_made_by_another_process_shows_within_a_second(world, client, monkeypatch):
    from django.core.cache import caches

    # The concrete cache object, not the thread-local proxy, so the patch is undone on the
    # object it was made on.
    shared = caches["default"]

    from catalog import cache as page_cache

    offering = OfferingFactory.create(microcredential__unit=world.a_unit1, microcredential__title="Old title")
    assert "Old title" in get(client).content.decode()
    # Another worker renames it: the rows change and it bumps the version in Redis only.
    offering.microcredential.title = "New title"
    offering.microcredential.save()
    shared.set(page_cache.pages.version_key(world.a.pk), "another-worker", None)

    assert "Old title" in get(client).content.decode()  # this process trusts its version a moment
    later = page_cache.pages.clock() + page_cache.pages.local_seconds
    monkeypatch.setattr(page_cache.pages, "clock", lambda: later)
    assert "New title" in get(client).content.decode()


@pytest.mark.usefixtures("page_cache")
def test_the_catalog_still_works_when_the_cache_does_not(world, client, monkeypatch):
    from django.core.cache import caches

    # The concrete cache object, not the thread-local proxy, so the patch is undone on the
    # object it was made on.
    shared = caches["default"]

    from catalog import cache as page_cache

    OfferingFactory.create(microcredential__unit=world.a_unit1, microcredential__title="Still here")

    def down(*args, **kwargs):
        raise ConnectionError("Redis is down")

    for method in ("get_many", "get", "set"):
        monkeypatch.setattr(shared, method, down)
    page_cache.pages.forget()

    response = get(client)

    assert response.status_code == 200
    assert "Still here" in response.content.decode()


@pytest.mark.usefixtures("page_cache")
def test_tracking_parameters_share_the_page_and_never_reach_its_links(world, client):
    from django.db import connection as db

    for _ in range(13):
        OfferingFactory.create(microcredential__unit=world.a_unit1)
    first = get(client, "/?mode=online&utm_source=newsletter").content.decode()

    with CaptureQueriesContext(db) as captured:
        second = get(client, "/?utm_campaign=spring&mode=online").content.decode()

    assert second == first
    assert [q for q in captured if "catalog_" in q["sql"]] == []
    assert 'href="?mode=online&amp;page=2"' in first
    assert "utm_" not in first


def test_the_cache_key_knows_every_parameter_a_page_reads():
    from catalog.cache import PAGE_PARAMS
    from catalog.forms import CatalogFilterForm

    assert set(PAGE_PARAMS) == {*CatalogFilterForm.base_fields, "page"}


@pytest.mark.usefixtures("page_cache")
def test_a_signed_in_offering_page_from_the_cache_costs_the_same_few_queries_whoever_reads_it(world):
    """Session, user, staff membership and the learner's enrollment: nothing of the catalog,
    and a wait-list place counted only for a learner who waits, who reads their number."""
    from enrollment import services as enrollment_services
    from tests.factories import UserFactory

    offering = OfferingFactory.create(microcredential__unit=world.a_unit1, capacity=1, waitlist_enabled=True)
    holder = UserFactory.create(email="holder@example.test")
    first, second = UserFactory.create_batch(2)
    for person in (holder, first, second):
        enrollment_services.enrollment_create(tenant=world.a, learner=person, offering_id=offering.pk)
    path = f"/offerings/{offering.pk}/"
    get(world.client_for(world.learner, world.a), path)  # fills the cache

    pages, counts = {}, {}
    for name, person in [("none", world.learner), ("holder", holder), ("second", second)]:
        client = world.client_for(person, world.a)
        with CaptureQueriesContext(connection) as captured:
            pages[name] = get(client, path).content.decode()
        assert [q["sql"] for q in captured if 'FROM "catalog_' in q["sql"]] == []
        counts[name] = len(captured)

    assert counts == {"none": 4, "holder": 4, "second": 5}
    assert "You are number 2 on the wait-list" in pages["second"]
    assert "wait-list" not in pages["holder"].split("<!--mc:personal:panel")[1].split("<!--/mc")[0]
    assert "Join the wait-list" in pages["none"].split("<!--mc:personal:panel")[1].split("<!--/mc")[0]

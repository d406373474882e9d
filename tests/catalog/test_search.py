"""Search (ranked full text, typo-tolerant fallback) and every filter, alone and combined."""

import re
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from catalog.models import CreditType, DeliveryMode
from tests.catalog.factories import OfferingFactory

CHICAGO = ZoneInfo("America/Chicago")


def titles(client, query: str, host: str = "alpha.test") -> list[str]:
    body = client.get(f"/{query}", HTTP_HOST=host).content.decode()
    return re.findall(r'<h3 class="card-title"><a href="/offerings/\d+/">([^<]+)</a>', body)


def offer(world, title: str, **fields):
    fields.setdefault("microcredential__unit", world.a_unit1)
    return OfferingFactory.create(microcredential__title=title, **fields)


def test_search_ranks_a_title_match_above_a_skill_above_a_description_match(world, client):
    now = timezone.now()
    # Newest first would put these in the opposite order: only relevance can sort them so.
    offer(
        world,
        "Team Leadership",
        microcredential__description="Includes a spreadsheet session.",
        starts_at=now + timedelta(days=90),
    )
    offer(
        world,
        "Office Tools",
        microcredential__skills="spreadsheets, email",
        starts_at=now + timedelta(days=60),
    )
    offer(world, "Spreadsheet Modelling", starts_at=now + timedelta(days=30))
    offer(world, "Welding", starts_at=now + timedelta(days=20))

    assert titles(client, "?q=spreadsheets") == ["Spreadsheet Modelling", "Office Tools", "Team Leadership"]


def test_search_covers_summary_and_outcomes_with_word_forms(world, client):
    offer(world, "A", microcredential__summary="Analysing data with pandas.")
    offer(world, "B", microcredential__outcomes="Negotiate contracts\nClose deals")
    offer(world, "C")

    assert titles(client, "?q=analyse+data") == ["A"]
    assert titles(client, "?q=negotiating") == ["B"]


def test_a_misspelt_word_finds_close_titles_and_says_so(world, client):
    offer(world, "Python for Data Analysis")
    offer(world, "Welding Fundamentals")

    body = client.get("/?q=pyton", HTTP_HOST="alpha.test").content.decode()

    assert titles(client, "?q=pyton") == ["Python for Data Analysis"]
    assert "no exact match for “pyton”, so these are close spellings." in body
    assert titles(client, "?q=zzzzqqq") == []


def test_search_never_reaches_another_tenant(world, client):
    offer(world, "Python basics", microcredential__unit=world.b_unit1)

    assert titles(client, "?q=python") == []
    assert titles(client, "?q=python", host="beta.test") == ["Python basics"]


def test_filter_by_unit(world, client):
    offer(world, "CE one")
    offer(world, "Business one", microcredential__unit=world.a_unit2)

    assert titles(client, "?unit=business") == ["Business one"]


def test_filter_by_delivery_mode(world, client):
    offer(world, "Online one")
    offer(world, "Campus one", delivery_mode=DeliveryMode.IN_PERSON, location="Room 1")

    assert titles(client, "?mode=in_person") == ["Campus one"]
    assert titles(client, "?mode=online") == ["Online one"]


def test_filter_by_start_month_in_the_tenant_s_time_zone(world, client):
    world.a.time_zone = "America/Chicago"
    world.a.save()
    # 1 March 03:00 UTC is still 28 February in Chicago.
    offer(world, "February evening", starts_at=datetime(2031, 3, 1, 3, tzinfo=ZoneInfo("UTC")))
    offer(world, "March", starts_at=datetime(2031, 3, 10, 18, tzinfo=CHICAGO))

    assert titles(client, "?month=2031-02") == ["February evening"]
    assert titles(client, "?month=2031-03") == ["March"]


def test_filter_free_or_under_an_amount(world, client):
    offer(world, "Free one", price_minor=0)
    offer(world, "Cheap one", price_minor=9900)
    offer(world, "Dear one", price_minor=125000)
    offer(world, "Exactly 100", price_minor=10000)

    assert titles(client, "?price=free") == ["Free one"]
    assert sorted(titles(client, "?price=100")) == ["Cheap one", "Free one"]
    assert sorted(titles(client, "?price=2000")) == ["Cheap one", "Dear one", "Exactly 100", "Free one"]


def test_filter_by_credit_value_and_type(world, client):
    offer(world, "Small", microcredential__credit_value=Decimal("1.5"))
    offer(
        world, "Big", microcredential__credit_value=Decimal("5"), microcredential__credit_type=CreditType.ECTS
    )

    assert titles(client, "?credits=3") == ["Big"]
    assert titles(client, "?credit_type=ects") == ["Big"]
    assert sorted(titles(client, "?credits=1")) == ["Big", "Small"]


def test_filter_only_with_seats_left(world, client):
    offer(world, "Has seats", capacity=10, seats_taken=9)
    offer(world, "Full", capacity=10, seats_taken=10)

    assert titles(client, "?seats=on") == ["Has seats"]


def test_filters_combine_with_search_and_sort(world, client):
    now = timezone.now()
    offer(world, "Python online", price_minor=0, starts_at=now + timedelta(days=40))
    offer(world, "Python online paid", price_minor=50000, starts_at=now + timedelta(days=20))
    offer(world, "Python campus", delivery_mode=DeliveryMode.IN_PERSON, location="Room 2", price_minor=0)
    offer(world, "SQL online", price_minor=0)

    assert titles(client, "?q=python&mode=online&price=free") == ["Python online"]
    assert titles(client, "?q=python&mode=online&sort=soonest") == ["Python online paid", "Python online"]


def test_a_filter_that_does_not_parse_is_shown_beside_its_field_and_the_rest_apply(world, client):
    offer(world, "Online one")
    offer(world, "Campus one", delivery_mode=DeliveryMode.IN_PERSON, location="Room 1")

    response = client.get("/?mode=online&month=2031-13&price=lots", HTTP_HOST="alpha.test")

    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_month_error"' in body
    assert 'id="id_price_error"' in body
    assert "Choose a month from the list." in body
    assert re.findall(r'card-title"><a href="/offerings/\d+/">([^<]+)', body) == ["Online one"]


def test_the_form_shows_the_search_as_typed_so_it_can_be_changed(world, client):
    body = client.get("/?q=data+%26+more&mode=online&price=300", HTTP_HOST="alpha.test").content.decode()

    assert 'value="data &amp; more"' in body
    assert '<option value="online" selected>' in body
    assert '<option value="300" selected>300</option>' in body  # a shared link's own amount stays


@pytest.mark.parametrize("query", ["?q=python", "?unit=business&mode=online&seats=on&sort=price&page=2"])
def test_any_search_is_a_shareable_address(world, client, query):
    assert client.get(f"/{query}", HTTP_HOST="alpha.test").status_code == 200


@pytest.mark.parametrize(
    "query", ["?price=1e999", "?price=1E+99999999", "?credits=1e99999999", "?month=9999-12", "?month=0001-01"]
)
def test_absurd_values_in_the_address_are_refused_not_a_server_error(world, client, query):
    offer(world, "Still listed")

    response = client.get(f"/{query}", HTTP_HOST="alpha.test")

    assert response.status_code == 200
    assert "error-message" in response.content.decode()
    assert titles(client, query) == ["Still listed"]


def test_a_search_with_no_close_spellings_does_not_claim_some(world, client):
    offer(world, "Python for Data Analysis")

    body = client.get("/?q=zzzzqqq", HTTP_HOST="alpha.test").content.decode()

    assert "No courses match this search." in body
    assert "close spellings" not in body

"""What a learner sees on the catalog home, a unit's page and an offering's page."""

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from catalog.models import DeliveryMode, Offering, PublicationStatus
from catalog.presenters import availability
from tests.catalog.factories import MicrocredentialFactory, OfferingFactory, RefundPolicyFactory

CHICAGO = ZoneInfo("America/Chicago")


def cards(body: str) -> list[str]:
    return re.findall(r'<li class="card offering-card".*?</li>', body, flags=re.S)


def titles(body: str) -> list[str]:
    return re.findall(r'<h3 class="card-title"><a href="/offerings/\d+/">([^<]+)</a>', body)


def test_home_lists_published_open_or_upcoming_offerings_newest_start_first(world, client):
    now = timezone.now()
    OfferingFactory.create(
        microcredential__title="Soon",
        starts_at=now + timedelta(days=5),
        microcredential__unit=world.a_unit1,
    )
    OfferingFactory.create(
        microcredential__title="Later",
        starts_at=now + timedelta(days=50),
        microcredential__unit=world.a_unit2,
    )
    # Started, but still taking late enrollments: listed.
    OfferingFactory.create(
        microcredential__title="Running",
        microcredential__unit=world.a_unit1,
        starts_at=now - timedelta(days=2),
        enrollment_closes_at=now + timedelta(days=3),
    )
    # Not listed: a draft, a draft microcredential's, a finished one, another tenant's.
    OfferingFactory.create(
        microcredential__title="Draft offering",
        status=PublicationStatus.DRAFT,
        microcredential__unit=world.a_unit1,
    )
    OfferingFactory.create(
        microcredential__title="Draft credential",
        microcredential__status="draft",
        microcredential__unit=world.a_unit1,
    )
    OfferingFactory.create(
        microcredential__title="Finished",
        microcredential__unit=world.a_unit1,
        starts_at=now - timedelta(days=60),
        enrollment_opens_at=now - timedelta(days=90),
        enrollment_closes_at=now - timedelta(days=61),
    )
    OfferingFactory.create(microcredential__title="Beta course", microcredential__unit=world.b_unit1)

    body = client.get("/", HTTP_HOST="alpha.test").content.decode()

    assert titles(body) == ["Later", "Soon", "Running"]
    assert "3 courses" in body


def test_hidden_when_the_unit_is_inactive(world, client):
    OfferingFactory.create(microcredential__title="Quiet", microcredential__unit=world.a_unit2)
    world.a_unit2.is_active = False
    world.a_unit2.save()

    assert titles(client.get("/", HTTP_HOST="alpha.test").content.decode()) == []


def test_each_card_shows_what_a_learner_decides_on(world, client):
    world.a.time_zone = "America/Chicago"
    world.a.save()
    starts = datetime(2031, 1, 12, 18, 0, tzinfo=CHICAGO)
    OfferingFactory.create(
        microcredential__title="Python for Data Analysis",
        microcredential__unit=world.a_unit1,
        microcredential__credit_value=3,
        starts_at=starts,
        ends_at=datetime(2031, 2, 23, 21, 0, tzinfo=CHICAGO),
        capacity=20,
        seats_taken=17,
        price_minor=125000,
    )

    body = client.get("/", HTTP_HOST="alpha.test").content.decode()

    (card,) = cards(body)
    assert "--brand: #123456" in card  # the unit's colour
    assert ">Alpha Continuing Ed</a>" in card
    assert "<dd>12 Jan – 23 Feb 2031</dd>" in card
    assert "<dd>Online</dd>" in card
    assert '<dd class="price">$1,250.00</dd>' in card
    assert "<dd>3 CEU</dd>" in card
    assert "3 seats left" in card


def test_dates_are_shown_in_the_tenant_s_time_zone(world, client):
    world.a.time_zone = "America/Chicago"
    world.a.save()
    # 03:00 UTC on 12 January is still the evening of 11 January in Chicago.
    OfferingFactory.create(
        microcredential__unit=world.a_unit1,
        starts_at=datetime(2031, 1, 12, 3, 0, tzinfo=ZoneInfo("UTC")),
        ends_at=datetime(2031, 1, 12, 5, 0, tzinfo=ZoneInfo("UTC")),
        enrollment_closes_at=datetime(2031, 1, 11, 0, 0, tzinfo=ZoneInfo("UTC")),
    )

    body = client.get("/", HTTP_HOST="alpha.test").content.decode()

    assert "<dd>11 Jan 2031</dd>" in body


@pytest.mark.parametrize(
    ("fields", "shown"),
    [
        ({"price_minor": 0}, '<dd class="price">Free</dd>'),
        ({"price_minor": 1200000, "currency": "JPY"}, '<dd class="price">¥1,200,000</dd>'),
        ({"capacity": 12, "seats_taken": 12}, "Full — join the wait-list"),
        ({"capacity": 12, "seats_taken": 12, "waitlist_enabled": False}, ">Full</p>"),
        ({"capacity": 12, "seats_taken": 11}, "1 seat left"),
        ({"capacity": 40, "seats_taken": 2}, "38 seats left"),
    ],
)
def test_price_and_seats_as_learners_read_them(world, client, fields, shown):
    OfferingFactory.create(microcredential__unit=world.a_unit1, **fields)

    assert shown in client.get("/", HTTP_HOST="alpha.test").content.decode()


def test_enrollment_not_yet_open_says_when_it_opens():
    offering = Offering(
        starts_at=datetime(2027, 2, 1, 18, tzinfo=CHICAGO),
        ends_at=datetime(2027, 3, 1, 18, tzinfo=CHICAGO),
        enrollment_opens_at=datetime(2027, 1, 12, 9, tzinfo=CHICAGO),
        enrollment_closes_at=datetime(2027, 1, 30, 9, tzinfo=CHICAGO),
        capacity=10,
    )

    same_year = availability(offering, now=datetime(2027, 1, 2, tzinfo=CHICAGO), tz=CHICAGO)
    year_before = availability(offering, now=datetime(2026, 12, 2, tzinfo=CHICAGO), tz=CHICAGO)
    closed = availability(offering, now=datetime(2027, 1, 31, tzinfo=CHICAGO), tz=CHICAGO)

    assert same_year.text == "Enrollment opens 12 Jan"
    assert year_before.text == "Enrollment opens 12 Jan 2027"
    assert closed.text == "Enrollment closed"


def test_closed_enrollment_shows_on_an_upcoming_offering(world, client):
    now = timezone.now()
    OfferingFactory.create(
        microcredential__unit=world.a_unit1,
        starts_at=now + timedelta(days=4),
        enrollment_opens_at=now - timedelta(days=30),
        enrollment_closes_at=now - timedelta(days=1),
    )

    assert "Enrollment closed" in client.get("/", HTTP_HOST="alpha.test").content.decode()


def test_pages_of_twelve_keep_the_filters_in_their_links(world, client):
    for day in range(14):
        OfferingFactory.create(
            microcredential__unit=world.a_unit1, starts_at=timezone.now() + timedelta(days=10 + day)
        )

    first = client.get("/?mode=online", HTTP_HOST="alpha.test").content.decode()
    second = client.get("/?mode=online&page=2", HTTP_HOST="alpha.test").content.decode()

    assert len(cards(first)) == 12
    assert len(cards(second)) == 2
    assert "Page 1 of 2" in first
    assert 'href="?mode=online&amp;page=2"' in first
    assert set(titles(first)).isdisjoint(titles(second))


def test_unit_page_shows_only_its_offerings_under_its_brand(world, client):
    OfferingFactory.create(microcredential__title="CE course", microcredential__unit=world.a_unit1)
    OfferingFactory.create(microcredential__title="Business course", microcredential__unit=world.a_unit2)

    body = client.get("/u/continuing-ed/", HTTP_HOST="alpha.test").content.decode()

    assert "<h1>Alpha Continuing Ed</h1>" in body
    assert "--brand: #123456; --on-brand: #ffffff;" in body
    assert titles(body) == ["CE course"]
    assert 'name="unit"' not in body  # the unit is the page: no unit filter


def test_offering_page_has_everything_to_decide(world, client):
    world.a.time_zone = "America/Chicago"
    world.a.save()
    RefundPolicyFactory.create(unit=world.a_unit1, tiers=[(14, 100), (3, 50)], cancellation_fee_minor=2500)
    python = MicrocredentialFactory.create(
        unit=world.a_unit1,
        title="Python for Data Analysis",
        description="Evening sessions.",
        outcomes="Load data into pandas\nChart findings",
        skills="Python, pandas",
        credit_value=3,
    )
    MicrocredentialFactory.create(unit=world.a_unit1, title="Data Analytics Certificate", parts=[python])
    MicrocredentialFactory.create(unit=world.a_unit1, title="Draft bundle", status="draft", parts=[python])
    offering = OfferingFactory.create(
        microcredential=python,
        starts_at=datetime(2031, 3, 4, 18, 0, tzinfo=CHICAGO),
        ends_at=datetime(2031, 4, 8, 21, 0, tzinfo=CHICAGO),
        time_zone="America/Chicago",
        delivery_mode=DeliveryMode.IN_PERSON,
        location="Downtown Campus, Room 210",
        schedule="Tuesdays, 6–9 pm",
    )

    response = client.get(f"/offerings/{offering.pk}/", HTTP_HOST="alpha.test")

    body = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Python for Data Analysis</h1>" in body
    assert "Evening sessions." in body
    assert "<li>Load data into pandas</li>" in body
    assert "<li>pandas</li>" in body
    assert "Tue 4 Mar 2031, 18:00" in body
    assert "America/Chicago" in body
    assert "Downtown Campus, Room 210" in body
    assert "Tuesdays, 6–9 pm" in body
    assert '<p class="price-large">$1,250.00</p>' in body
    assert "20 seats left" in body
    assert (
        "A full refund if you cancel more than 14 days before the start,"
        " that is before Tue 18 Feb 2031, 18:00 (America/Chicago)." in body
    )
    assert (
        "No refund if you cancel 3 days or less before the start,"
        " that is from Sat 1 Mar 2031, 18:00 (America/Chicago)." in body
    )
    assert "A cancellation fee of $25.00 is kept from any refund." in body
    assert "<li>Data Analytics Certificate</li>" in body  # what it stacks into
    assert "Draft bundle" not in body
    assert f'<a class="button" href="/offerings/{offering.pk}/enroll/">Enroll</a>' in body


def test_an_offering_s_own_policy_overrides_the_unit_default(world, client):
    RefundPolicyFactory.create(unit=world.a_unit1, tiers=[(14, 100)])
    own = RefundPolicyFactory.create(unit=world.a_unit1, is_unit_default=False, tiers=[(0, 100)])
    offering = OfferingFactory.create(microcredential__unit=world.a_unit1, refund_policy=own)

    body = client.get(f"/offerings/{offering.pk}/", HTTP_HOST="alpha.test").content.decode()

    assert "A full refund if you cancel any time before the start." in body
    assert "14 days" not in body


@pytest.mark.parametrize("which", ["other tenant", "draft", "unknown"])
def test_offering_page_is_404_unless_public_in_this_tenant(world, client, which):
    if which == "other tenant":
        pk = OfferingFactory.create(microcredential__unit=world.b_unit1).pk
    elif which == "draft":
        pk = OfferingFactory.create(microcredential__unit=world.a_unit1, status="draft").pk
    else:
        pk = 999999

    assert client.get(f"/offerings/{pk}/", HTTP_HOST="alpha.test").status_code == 404


def test_no_offerings_gives_a_friendly_empty_state(world, client):
    body = client.get("/", HTTP_HOST="alpha.test").content.decode()

    assert "No courses are open for enrollment right now. Please come back soon." in body
    assert "0 courses" in body


def test_a_huge_result_is_counted_only_up_to_the_cap(world, client, monkeypatch):
    from catalog import selectors

    monkeypatch.setattr(selectors, "COUNT_CAP", 13)
    OfferingFactory.create_batch(20, microcredential__unit=world.a_unit1)

    body = client.get("/", HTTP_HOST="alpha.test").content.decode()

    assert "More than 13 courses" in body
    assert len(cards(body)) == 12
    assert 'href="?page=2"' in body


def test_home_lists_open_offerings_before_opening_soon_before_closed(world, client):
    now = timezone.now()
    OfferingFactory.create(
        microcredential__title="Open now",
        microcredential__unit=world.a_unit1,
        starts_at=now + timedelta(days=5),
    )
    OfferingFactory.create(
        microcredential__title="Closed early",
        microcredential__unit=world.a_unit1,
        starts_at=now + timedelta(days=20),
        enrollment_opens_at=now - timedelta(days=10),
        enrollment_closes_at=now - timedelta(days=1),
    )
    OfferingFactory.create(
        microcredential__title="Opens later",
        microcredential__unit=world.a_unit1,
        starts_at=now + timedelta(days=50),
        enrollment_opens_at=now + timedelta(days=10),
    )

    body = client.get("/", HTTP_HOST="alpha.test").content.decode()

    assert titles(body) == ["Open now", "Opens later", "Closed early"]
    listed = cards(body)
    assert "Enrollment opens" in listed[1]
    assert "Enrollment closed" in listed[2]
    assert "Courses open for enrollment" not in body

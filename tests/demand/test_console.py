"""Console → Demand: the figures against a seeded history, who sees what, the CSV downloads."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone

from catalog.models import Offering
from catalog.services import offering_seats_release, offering_seats_take
from demand.models import Interest, SearchMiss
from enrollment.models import WaitlistCount
from tests.catalog.factories import MicrocredentialFactory, OfferingFactory


@pytest.fixture
def history(world):
    now = timezone.now()
    ml = MicrocredentialFactory.create(unit=world.a_unit1, title="Machine Learning")
    welding = MicrocredentialFactory.create(unit=world.a_unit2, title="Welding")
    for i in range(3):
        Interest.objects.create(tenant=world.a, microcredential=ml, email=f"w{i}@example.org")
    Interest.objects.create(tenant=world.a, microcredential=ml, email="told@example.org", notified_at=now)
    Interest.objects.create(tenant=world.a, microcredential=welding, email="w@example.org")
    opened = now - timedelta(days=10)
    # Filled 5 hours after enrollment opened (published before that), and one filled in 2 days.
    quick = OfferingFactory.create(
        microcredential=ml, enrollment_opens_at=opened, published_at=opened - timedelta(days=1), capacity=10
    )
    slow = OfferingFactory.create(
        microcredential=ml, enrollment_opens_at=opened - timedelta(days=20), published_at=opened, capacity=30
    )
    Offering.objects.filter(pk=quick.pk).update(filled_at=opened + timedelta(hours=5), seats_taken=10)
    Offering.objects.filter(pk=slow.pk).update(filled_at=opened + timedelta(days=2), seats_taken=30)
    WaitlistCount.objects.create(offering=quick, tenant=world.a, waiting=4)
    WaitlistCount.objects.create(offering=slow, tenant=world.a, waiting=2)
    # A run that stopped taking enrollments: its wait-list no longer counts.
    past = OfferingFactory.create(
        microcredential=ml,
        enrollment_opens_at=now - timedelta(days=60),
        enrollment_closes_at=now - timedelta(days=30),
        starts_at=now - timedelta(days=29),
    )
    WaitlistCount.objects.create(offering=past, tenant=world.a, waiting=7)
    today = timezone.localdate()
    for day, words, count in [
        (today, "data science", 3),
        (today - timedelta(days=5), "data science", 2),
        (today - timedelta(days=1), "welding", 4),
        (today - timedelta(days=40), "ancient", 50),  # older than 30 days
    ]:
        SearchMiss.objects.create(tenant=world.a, day=day, words=words, count=count)
    SearchMiss.objects.create(tenant=world.b, day=today, words="beta only", count=9)
    return {"ml": ml, "welding": welding, "quick": quick, "slow": slow}


def rows_of(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))


def test_a_tenant_admin_sees_every_units_figures(world, history):
    page = world.client_for(world.a_admin, world.a).get("/console/demand/")
    assert page.status_code == 200
    ml, welding = history["ml"], history["welding"]
    rows = {r.microcredential.pk: r for r, _fill in page.context["microcredentials"]}
    assert (rows[ml.pk].waiting, rows[ml.pk].notified, rows[ml.pk].waitlist_depth) == (3, 1, 6)
    assert rows[ml.pk].fastest_fill == timedelta(hours=5)
    assert (rows[welding.pk].waiting, rows[welding.pk].waitlist_depth, rows[welding.pk].fastest_fill) == (
        1,
        0,
        None,
    )
    assert [(o.pk, fill) for o, fill in page.context["fastest"]] == [
        (history["quick"].pk, "5 hours"),
        (history["slow"].pk, "2 days"),
    ]
    assert [(s.words, s.count) for s in page.context["searches"]] == [("data science", 5), ("welding", 4)]
    html = page.content.decode()
    assert "beta only" not in html
    assert "<caption" in html
    assert 'scope="row"' in html


def test_a_unit_admin_sees_their_units_only(world, history):
    client = world.client_for(world.a_unit1_admin, world.a)
    page = client.get("/console/demand/")
    assert [r.microcredential.title for r, _ in page.context["microcredentials"]] == ["Machine Learning"]
    assert "Welding" not in [o.microcredential.title for o, _ in page.context["fastest"]]
    assert [r[0] for r in rows_of(client.get("/console/demand/microcredentials.csv"))] == [
        "microcredential",
        "Machine Learning",
    ]


@pytest.mark.parametrize("who", ["a_finance_all", "learner", None, "b_admin"])
def test_others_get_a_404_or_sign_in(world, history, who):
    user = getattr(world, who) if who else None
    client = world.client_for(user, world.a)
    for path in ("/console/demand/", "/console/demand/searches.csv"):
        answer = client.get(path)
        assert answer.status_code in (302, 404) if who is None else answer.status_code == 404


def test_each_table_downloads_as_csv(world, history):
    client = world.client_for(world.a_admin, world.a)
    microcredentials = rows_of(client.get("/console/demand/microcredentials.csv"))
    assert microcredentials[0] == [
        "microcredential",
        "unit",
        "interest_waiting",
        "interest_notified",
        "waitlist_depth",
        "fastest_fill_hours",
    ]
    assert ["Machine Learning", world.a_unit1.name, "3", "1", "6", "5.0"] in microcredentials
    assert ["Welding", world.a_unit2.name, "1", "0", "0", ""] in microcredentials
    fastest = rows_of(client.get("/console/demand/fastest-filled.csv"))
    assert [(r[0], r[-1]) for r in fastest[1:]] == [
        (str(history["quick"].pk), "5.0"),
        (str(history["slow"].pk), "48.0"),
    ]
    searches = rows_of(client.get("/console/demand/searches.csv"))
    assert [r[:2] for r in searches] == [["words", "count"], ["data science", "5"], ["welding", "4"]]


def test_taking_the_last_seat_records_when_the_run_first_filled(world):
    offering = OfferingFactory.create(microcredential__unit=world.a_unit1, capacity=2)
    assert offering_seats_take(tenant=world.a, offering_id=offering.pk)
    offering.refresh_from_db()
    assert offering.filled_at is None
    assert offering_seats_take(tenant=world.a, offering_id=offering.pk)
    offering.refresh_from_db()
    first = offering.filled_at
    assert first is not None
    offering_seats_release(tenant=world.a, offering_id=offering.pk)
    Offering.objects.filter(pk=offering.pk).update(filled_at=first - timedelta(hours=1))
    assert offering_seats_take(tenant=world.a, offering_id=offering.pk)
    offering.refresh_from_db()
    assert offering.filled_at == first - timedelta(hours=1)  # the first fill is kept

"""The console's rosters: what unit admins see and do, the CSV, the audit trail; everyone else
gets a 404."""

from __future__ import annotations

import csv
import io

import pytest

from enrollment import selectors, services
from enrollment.models import Enrollment, EnrollmentStatus
from enrollment.services import messages
from identity.models import User
from tests.enrollment.conftest import make_offering
from tests.factories import UserFactory

S = EnrollmentStatus


@pytest.fixture
def full(world):
    """Capacity 2: two confirmed, a held seat is impossible (free), two waiting."""
    offering = make_offering(
        world, capacity=2, microcredential__title="Welding I", time_zone="America/Chicago"
    )
    people = [
        UserFactory.create(email=f"{n}@example.test", full_name=n.title()) for n in ("ann", "bob", "cy", "di")
    ]
    rows = [
        services.enrollment_create(tenant=world.a, learner=p, offering_id=offering.pk).enrollment
        for p in people
    ]
    return offering, rows


def test_roster_shows_states_in_order_with_counts(world, full):
    offering, _rows = full
    client = world.client_for(world.a_unit1_admin, world.a)
    body = client.get(f"/console/offerings/{offering.pk}/roster/").content.decode()
    assert "2 of 2 seats taken" in body
    assert "2 confirmed" in body
    assert "2 waiting" in body
    waitlist = body.split('id="section-waitlisted"')[1].split("</section>")[0]
    assert waitlist.index("cy@example.test") < waitlist.index("di@example.test")
    assert "enrolled (— → Confirmed)" in body


def test_search_narrows_the_roster(world, full):
    offering, _rows = full
    client = world.client_for(world.a_unit1_admin, world.a)
    body = client.get(f"/console/offerings/{offering.pk}/roster/?q=BOB").content.decode()
    assert "bob@example.test" in body
    assert "ann@example.test" not in body
    assert "2 of 2 seats taken" in body  # the offering's count, not the rows that matched


def test_csv_opens_in_a_spreadsheet(world, full):
    offering, _rows = full
    ann = User.objects.get(email="ann@example.test")
    ann.full_name = '=HYPERLINK("http://evil.example","Ann")'
    ann.save(update_fields=["full_name"])
    client = world.client_for(world.a_unit1_admin, world.a)
    response = client.get(f"/console/offerings/{offering.pk}/roster.csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    raw = b"".join(response.streaming_content).decode("utf-8")
    assert raw.startswith("\ufeff")
    table = list(csv.reader(io.StringIO(raw.lstrip("\ufeff"))))
    assert table[0][:6] == [
        "enrollment_id",
        "email",
        "name",
        "status",
        "waitlist_position",
        "enrolled_at (America/Chicago)",
    ]
    assert [(r[1], r[3], r[4]) for r in table[1:]] == [
        ("ann@example.test", "confirmed", ""),
        ("bob@example.test", "confirmed", ""),
        ("cy@example.test", "waitlisted", "1"),
        ("di@example.test", "waitlisted", "2"),
    ]
    assert len(table[1][5]) == len("2026-01-12 14:32")
    assert table[1][2] == '\'=HYPERLINK("http://evil.example","Ann")'  # shown, never run as a formula


def test_cancel_with_reason_offers_the_seat_and_is_in_the_history(world, full):
    offering, [ann, _bob, cy, _di] = full
    client = world.client_for(world.a_unit1_admin, world.a)
    client.post(f"/console/enrollments/{ann.pk}/cancel/", {"reason": "Asked by phone"})
    ann.refresh_from_db()
    cy.refresh_from_db()
    assert (ann.status, cy.status) == (S.CANCELLED, S.OFFERED)
    event = ann.events.get(action="cancelled_by_staff")
    assert (event.actor, event.reason, event.from_status) == (
        world.a_unit1_admin,
        "Asked by phone",
        "confirmed",
    )
    body = client.get(f"/console/offerings/{offering.pk}/roster/").content.decode()
    assert "“Asked by phone”" in body
    assert world.a_unit1_admin.email in body


def test_cancel_without_reason_is_refused(world, full):
    _offering, [ann, *_rest] = full
    client = world.client_for(world.a_unit1_admin, world.a)
    response = client.post(f"/console/enrollments/{ann.pk}/cancel/", {"reason": " "}, follow=True)
    assert "This field is required." in response.content.decode()
    ann.refresh_from_db()
    assert ann.status == S.CONFIRMED


def test_promote_then_move(world, full):
    offering, [ann, _bob, cy, di] = full
    later = make_offering(world, microcredential=offering.microcredential, capacity=3, cohort_label="Autumn")
    client = world.client_for(world.a_unit1_admin, world.a)
    response = client.post(
        f"/console/enrollments/{di.pk}/promote/", {"reason": "Employer sponsored"}, follow=True
    )
    assert "is now first on the wait-list" in response.content.decode()
    assert selectors.waitlist_position(Enrollment.objects.get(pk=di.pk)) == 1
    client.post(f"/console/enrollments/{ann.pk}/move/", {"offering": later.pk, "reason": "Clash"})
    di.refresh_from_db()
    cy.refresh_from_db()
    assert (di.status, cy.status) == (S.OFFERED, S.WAITLISTED)  # the promoted one got the seat
    assert Enrollment.objects.get(offering=later, learner=ann.learner).status == S.CONFIRMED


def test_enroll_by_email_creates_the_learner_and_keeps_typed_input_on_error(world, full):
    offering, _rows = full
    client = world.client_for(world.a_unit1_admin, world.a)
    response = client.post(
        f"/console/offerings/{offering.pk}/roster/enroll/",
        {"email": "New.Learner@Example.test", "full_name": "New Learner", "reason": "By phone"},
        follow=True,
    )
    assert "new.learner@example.test is on the wait-list, number 3." in response.content.decode()
    learner = User.objects.get(email="new.learner@example.test")
    assert learner.full_name == "New Learner"
    again = client.post(
        f"/console/offerings/{offering.pk}/roster/enroll/", {"email": "new.learner@example.test"}
    )
    assert again.status_code == 400
    assert "You are already on this offering" in again.content.decode()
    assert 'value="new.learner@example.test"' in again.content.decode()


@pytest.mark.django_db(transaction=True)  # the promotion runs when the capacity change commits
def test_raising_capacity_offers_at_once_and_lowering_below_taken_is_refused(world, full, monkeypatch):
    monkeypatch.setattr(messages, "enqueue_after_commit", lambda task, message_id: None)
    offering, [_ann, _bob, cy, di] = full
    client = world.client_for(world.a_unit1_admin, world.a)
    response = client.post(
        f"/console/offerings/{offering.pk}/roster/capacity/", {"capacity": "4"}, follow=True
    )
    assert "Capacity is now 4. 2 learners on the wait-list now hold an offer." in response.content.decode()
    cy.refresh_from_db()
    di.refresh_from_db()
    assert (cy.status, di.status) == (S.OFFERED, S.OFFERED)
    refused = client.post(f"/console/offerings/{offering.pk}/roster/capacity/", {"capacity": "1"})
    assert refused.status_code == 400
    assert "4 seats are already taken; capacity cannot go below 4." in refused.content.decode()


def test_offer_window_is_saved(world, full):
    offering, _rows = full
    client = world.client_for(world.a_unit1_admin, world.a)
    response = client.post(
        f"/console/offerings/{offering.pk}/roster/offer-window/", {"offer_window_hours": "24"}, follow=True
    )
    assert "Offers now reserve a freed seat for 24 hours." in response.content.decode()


@pytest.mark.parametrize("who", ["a_finance_all", "learner", "b_admin"])
def test_others_get_404(world, full, who):
    offering, [ann, *_rest] = full
    tenant = world.b if who == "b_admin" else world.a
    client = world.client_for(getattr(world, who), tenant)
    assert client.get(f"/console/offerings/{offering.pk}/roster/").status_code == 404
    assert client.get(f"/console/offerings/{offering.pk}/roster.csv").status_code == 404
    assert client.post(f"/console/enrollments/{ann.pk}/cancel/", {"reason": "x"}).status_code == 404
    ann.refresh_from_db()
    assert ann.status == S.CONFIRMED


def test_another_units_admin_gets_404(world):
    offering = make_offering(world, microcredential__unit=world.a_unit2)
    client = world.client_for(world.a_unit1_admin, world.a)
    assert client.get(f"/console/offerings/{offering.pk}/roster/").status_code == 404

"""Learners' pages: the enroll button, a second click, My learning, cancelling."""

from __future__ import annotations

import re
from datetime import timedelta

from django.utils import timezone

from enrollment import services
from enrollment.models import Enrollment, EnrollmentStatus
from tests.enrollment.conftest import make_offering
from tests.factories import UserFactory

S = EnrollmentStatus
KEY = re.compile(r'name="idempotency_key" value="([0-9a-f]+)"')


def _key(form: str) -> str:
    found = KEY.search(form)
    assert found is not None, form
    return found.group(1)


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_anonymous_offering_page_links_to_enroll_and_enrolling_needs_sign_in(world, client, no_page_cache):
    offering = make_offering(world)
    page = client.get(f"/offerings/{offering.pk}/", HTTP_HOST="alpha.test").content.decode()
    assert f'href="/offerings/{offering.pk}/enroll/">Enroll</a>' in page
    assert "csrfmiddlewaretoken" not in page.split('id="enroll-heading"')[1].split("</section>")[0]
    response = client.get(f"/offerings/{offering.pk}/enroll/", HTTP_HOST="alpha.test")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_a_second_click_of_the_same_button_enrolls_once(world, client):
    offering = make_offering(world, microcredential__title="Welding I")
    client.force_login(world.learner)
    form = client.get(f"/offerings/{offering.pk}/enroll/", HTTP_HOST="alpha.test").content.decode()
    assert "Confirm enrollment" in form
    key = _key(form)

    first = client.post(
        f"/offerings/{offering.pk}/enroll/", {"idempotency_key": key}, HTTP_HOST="alpha.test", follow=True
    )
    second = client.post(
        f"/offerings/{offering.pk}/enroll/", {"idempotency_key": key}, HTTP_HOST="alpha.test", follow=True
    )

    assert Enrollment.objects.filter(learner=world.learner).count() == 1
    expected = ["You are enrolled. A confirmation is on its way to your inbox."]
    assert _messages(first) == _messages(second) == expected
    body = second.content.decode()
    assert "Welding I" in body
    assert "Your course starts in 30 days." in body
    assert "Cancel enrollment" in body


def test_a_new_click_after_enrolling_says_already_enrolled(world, client):
    offering = make_offering(world)
    services.enrollment_create(tenant=world.a, learner=world.learner, offering_id=offering.pk)
    client.force_login(world.learner)
    response = client.post(
        f"/offerings/{offering.pk}/enroll/", {"idempotency_key": "abc"}, HTTP_HOST="alpha.test", follow=True
    )
    assert _messages(response) == ["You are already enrolled in this offering."]
    page = client.get(f"/offerings/{offering.pk}/", HTTP_HOST="alpha.test").content.decode()
    assert "Go to My learning" in page


def test_full_offering_page_joins_the_waitlist_with_a_position(world, client):
    offering = make_offering(world, capacity=1)
    services.enrollment_create(tenant=world.a, learner=UserFactory.create(), offering_id=offering.pk)
    client.force_login(world.learner)
    form = client.get(f"/offerings/{offering.pk}/enroll/", HTTP_HOST="alpha.test").content.decode()
    assert "Join the wait-list" in form
    response = client.post(
        f"/offerings/{offering.pk}/enroll/",
        {"idempotency_key": _key(form)},
        HTTP_HOST="alpha.test",
        follow=True,
    )
    assert _messages(response) == ["The course is full: you are number 1 on the wait-list."]
    assert "Leave the wait-list" in response.content.decode()


def test_closed_and_full_without_waitlist_say_so_and_offer_no_button(world, client):
    client.force_login(world.learner)
    closed = make_offering(
        world,
        enrollment_opens_at=timezone.now() - timedelta(days=5),
        enrollment_closes_at=timezone.now() - timedelta(days=1),
    )
    body = client.get(f"/offerings/{closed.pk}/enroll/", HTTP_HOST="alpha.test").content.decode()
    assert "Enrollment closed on" in body
    assert "<button" not in body.split("<main")[1]
    full = make_offering(world, capacity=1, waitlist_enabled=False)
    services.enrollment_create(tenant=world.a, learner=UserFactory.create(), offering_id=full.pk)
    body = client.get(f"/offerings/{full.pk}/enroll/", HTTP_HOST="alpha.test").content.decode()
    assert "This offering is full, and it keeps no wait-list." in body


def test_learner_cancels_from_my_learning_and_the_seat_is_offered_on(world, client):
    offering = make_offering(world, capacity=1)
    mine = services.enrollment_create(
        tenant=world.a, learner=world.learner, offering_id=offering.pk
    ).enrollment
    waiting = services.enrollment_create(
        tenant=world.a, learner=UserFactory.create(), offering_id=offering.pk
    )
    client.force_login(world.learner)
    confirm = client.get(f"/my/learning/{mine.pk}/cancel/", HTTP_HOST="alpha.test")
    assert "Your seat goes to the next person waiting." in confirm.content.decode()
    done = client.post(f"/my/learning/{mine.pk}/cancel/", HTTP_HOST="alpha.test", follow=True)
    assert _messages(done) == ["Your enrollment is cancelled."]
    assert "Cancelled and expired" in done.content.decode()
    card = done.content.decode().split(f'id="enrollment-{mine.pk}"')[1].split("</li>")[0]
    assert ">Cancelled</span>" in card
    assert "Cancelled." not in card  # the badge is not repeated as the next step
    assert "No seat is kept for you in this course any more." in card
    waiting.enrollment.refresh_from_db()
    assert waiting.enrollment.status == S.OFFERED


def test_an_offer_is_accepted_from_my_learning(world, client):
    offering = make_offering(world, capacity=1)
    other = services.enrollment_create(tenant=world.a, learner=UserFactory.create(), offering_id=offering.pk)
    mine = services.enrollment_create(
        tenant=world.a, learner=world.learner, offering_id=offering.pk
    ).enrollment
    services.enrollment_cancel(
        tenant=world.a, learner=other.enrollment.learner, enrollment_id=other.enrollment.pk
    )
    client.force_login(world.learner)
    page = client.get("/my/learning/", HTTP_HOST="alpha.test").content.decode()
    assert "accept your offer before" in page
    done = client.post(f"/my/learning/{mine.pk}/accept/", HTTP_HOST="alpha.test", follow=True)
    assert _messages(done) == ["The seat is yours: you are enrolled."]


def test_someone_elses_enrollment_is_404(world, client):
    offering = make_offering(world)
    theirs = services.enrollment_create(tenant=world.a, learner=UserFactory.create(), offering_id=offering.pk)
    client.force_login(world.learner)
    assert (
        client.get(f"/my/learning/{theirs.enrollment.pk}/cancel/", HTTP_HOST="alpha.test").status_code == 404
    )
    assert (
        client.post(f"/my/learning/{theirs.enrollment.pk}/cancel/", HTTP_HOST="alpha.test").status_code == 404
    )
    assert client.get(f"/my/learning/{theirs.enrollment.pk}/cancel/", HTTP_HOST="beta.test").status_code in (
        302,
        404,
    )

"""The enrollment API: enroll (201, 409 codes, idempotent retries), act, list; staff endpoints;
another tenant's ids are 404; everything is in the OpenAPI schema."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from enrollment import services
from enrollment.api import EnrollmentOutput, enrollment_body
from enrollment.models import Enrollment, EnrollmentStatus
from tests.enrollment.conftest import make_offering
from tests.factories import UserFactory

S = EnrollmentStatus


def api(world, user, tenant=None) -> APIClient:
    tenant = tenant or world.a
    client = APIClient(HTTP_HOST=tenant.domains.get(is_primary=True).host)
    if user is not None:
        client.force_authenticate(user)
    return client


def test_enroll_free_offering_answers_201_confirmed(world):
    offering = make_offering(world)
    response = api(world, world.learner).post(
        "/api/v1/enrollments/", {"offering": offering.pk}, format="json"
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["status"], body["waitlist_position"], body["hold_expires_at"]) == ("confirmed", None, None)
    assert body["next_step"]["code"] == "attend"
    assert body["next_step"]["text"] == "Your course starts in 30 days."
    assert body["id"] == Enrollment.objects.get(learner=world.learner).pk


def test_enroll_paid_offering_holds_and_says_pay_before(world):
    offering = make_offering(world, price_minor=5000, seat_hold_minutes=30, time_zone="America/Chicago")
    body = (
        api(world, world.learner)
        .post("/api/v1/enrollments/", {"offering": offering.pk}, format="json")
        .json()
    )
    assert body["status"] == "held"
    assert body["hold_expires_at"] is not None
    assert body["next_step"]["code"] == "pay"
    assert body["next_step"]["text"].startswith("Pay before ")
    assert body["next_step"]["text"].endswith("(America/Chicago) to keep your seat.")


def test_enroll_full_offering_waitlists_with_position(world):
    offering = make_offering(world, capacity=1)
    services.enrollment_create(tenant=world.a, learner=UserFactory.create(), offering_id=offering.pk)
    body = (
        api(world, world.learner)
        .post("/api/v1/enrollments/", {"offering": offering.pk}, format="json")
        .json()
    )
    assert (body["status"], body["waitlist_position"]) == ("waitlisted", 1)
    assert (
        body["next_step"]["text"]
        == "You are number 1 on the wait-list. We will e-mail you when a seat frees."
    )


@pytest.mark.parametrize(
    ("setup", "code"),
    [
        ({"capacity": 1, "waitlist_enabled": False}, "offering_full"),
        ({"status": "archived"}, "enrollment_closed"),
    ],
)
def test_refusals_are_409_with_a_code(world, setup, code):
    offering = make_offering(world, **setup)
    if setup.get("capacity") == 1:
        services.enrollment_create(tenant=world.a, learner=UserFactory.create(), offering_id=offering.pk)
    response = api(world, world.learner).post(
        "/api/v1/enrollments/", {"offering": offering.pk}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == code
    assert not Enrollment.objects.filter(learner=world.learner).exists()


def test_already_enrolled_is_409(world):
    offering = make_offering(world)
    client = api(world, world.learner)
    client.post("/api/v1/enrollments/", {"offering": offering.pk}, format="json")
    response = client.post("/api/v1/enrollments/", {"offering": offering.pk}, format="json")
    assert response.status_code == 409
    assert response.json()["error"] == {
        "code": "already_enrolled",
        "message": "You are already enrolled in this offering.",
        "fields": {},
    }


def test_an_idempotent_retry_replays_the_first_answer(world):
    offering = make_offering(world, capacity=1)
    client = api(world, world.learner)
    first = client.post(
        "/api/v1/enrollments/", {"offering": offering.pk}, format="json", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    again = client.post(
        "/api/v1/enrollments/", {"offering": offering.pk}, format="json", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Enrollment.objects.filter(learner=world.learner).count() == 1
    other = make_offering(world)
    reused = client.post(
        "/api/v1/enrollments/", {"offering": other.pk}, format="json", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    assert (reused.status_code, reused.json()["error"]["code"]) == (422, "idempotency_key_reused")


def test_a_refused_request_stores_nothing_and_its_retry_is_refused_alike(world):
    offering = make_offering(world, enrollment_opens_at=timezone.now() + timedelta(days=2))
    client = api(world, world.learner)
    first = client.post(
        "/api/v1/enrollments/", {"offering": offering.pk}, format="json", HTTP_IDEMPOTENCY_KEY="x"
    )
    again = client.post(
        "/api/v1/enrollments/", {"offering": offering.pk}, format="json", HTTP_IDEMPOTENCY_KEY="x"
    )
    assert (first.status_code, again.status_code) == (409, 409)
    assert again.json() == first.json()


def test_another_tenants_offering_is_404_and_anonymous_is_401(world):
    theirs = make_offering(world, microcredential__unit=world.b_unit1)
    response = api(world, world.learner).post("/api/v1/enrollments/", {"offering": theirs.pk}, format="json")
    assert response.status_code == 404
    assert api(world, None).post(
        "/api/v1/enrollments/", {"offering": theirs.pk}, format="json"
    ).status_code in (
        401,
        403,
    )


def test_learner_cancels_leaves_accepts_and_lists(world):
    offering = make_offering(world, capacity=1)
    holder = UserFactory.create()
    held = services.enrollment_create(tenant=world.a, learner=holder, offering_id=offering.pk).enrollment
    mine = services.enrollment_create(
        tenant=world.a, learner=world.learner, offering_id=offering.pk
    ).enrollment
    assert api(world, world.learner).post(f"/api/v1/enrollments/{held.pk}/cancel/").status_code == 404
    assert api(world, holder).post(f"/api/v1/enrollments/{held.pk}/cancel/").json()["status"] == "cancelled"
    accepted = api(world, world.learner).post(f"/api/v1/enrollments/{mine.pk}/accept/")
    assert (accepted.status_code, accepted.json()["status"]) == (200, "confirmed")
    listed = api(world, world.learner).get("/api/v1/enrollments/").json()
    assert [(e["id"], e["status"]) for e in listed["results"]] == [(mine.pk, "confirmed")]
    again = api(world, world.learner).post(f"/api/v1/enrollments/{mine.pk}/accept/")
    assert (again.status_code, again.json()["error"]["code"]) == (409, "already_accepted")
    assert api(world, world.learner, tenant=world.b).get(f"/api/v1/enrollments/{mine.pk}/").status_code == 404


def test_staff_roster_enroll_move_promote_cancel(world):
    offering = make_offering(world, capacity=1, microcredential__title="Welding I")
    later = make_offering(world, microcredential=offering.microcredential, capacity=5)
    admin = api(world, world.a_unit1_admin)

    enrolled = admin.post(
        f"/api/v1/staff/offerings/{offering.pk}/enrollments/",
        {"email": "New.Person@Example.test", "reason": "Phone enrollment"},
        format="json",
    )
    assert (enrolled.status_code, enrolled.json()["status"]) == (201, "confirmed")
    first = services.enrollment_create(tenant=world.a, learner=UserFactory.create(), offering_id=offering.pk)
    second = services.enrollment_create(tenant=world.a, learner=UserFactory.create(), offering_id=offering.pk)

    promoted = admin.post(
        f"/api/v1/staff/enrollments/{second.enrollment.pk}/promote/", {"reason": "Sponsor"}, format="json"
    )
    assert (promoted.status_code, promoted.json()["waitlist_position"]) == (200, 1)
    moved = admin.post(
        f"/api/v1/staff/enrollments/{enrolled.json()['id']}/move/",
        {"offering": later.pk, "reason": "Schedule clash"},
        format="json",
    )
    assert moved.status_code == 200
    roster = admin.get(f"/api/v1/staff/offerings/{offering.pk}/roster/").json()
    assert (roster["capacity"], roster["seats_taken"]) == (1, 1)
    assert roster["counts"]["offered"] == 1
    assert roster["counts"]["waitlisted"] == 1
    by_id = {row["id"]: row for row in roster["results"]}
    assert by_id[second.enrollment.pk]["status"] == "offered"  # promoted to the head, then the seat freed
    assert by_id[first.enrollment.pk]["waitlist_position"] == 1
    assert [e["action"] for e in by_id[enrolled.json()["id"]]["events"]] == ["enrolled", "moved_out"]
    assert by_id[enrolled.json()["id"]]["events"][0]["reason"] == "Phone enrollment"

    cancelled = admin.post(
        f"/api/v1/staff/enrollments/{first.enrollment.pk}/cancel/", {"reason": "Duplicate"}, format="json"
    )
    assert cancelled.json()["status"] == "cancelled"
    missing_reason = admin.post(f"/api/v1/staff/enrollments/{first.enrollment.pk}/cancel/", {}, format="json")
    assert missing_reason.status_code == 400


def test_staff_of_another_unit_or_tenant_get_404(world):
    offering = make_offering(world, microcredential__unit=world.a_unit2)
    mine = services.enrollment_create(
        tenant=world.a, learner=world.learner, offering_id=offering.pk
    ).enrollment
    assert (
        api(world, world.a_unit1_admin).get(f"/api/v1/staff/offerings/{offering.pk}/roster/").status_code
        == 404
    )
    assert (
        api(world, world.b_admin, tenant=world.b)
        .get(f"/api/v1/staff/offerings/{offering.pk}/roster/")
        .status_code
        == 404
    )
    assert (
        api(world, world.a_unit1_admin)
        .post(f"/api/v1/staff/enrollments/{mine.pk}/cancel/", {"reason": "x"}, format="json")
        .status_code
        == 404
    )
    assert api(world, world.learner).get(f"/api/v1/staff/offerings/{offering.pk}/roster/").status_code == 404


def test_raising_capacity_offers_the_wait_list_at_once(world, django_capture_on_commit_callbacks):
    offering = make_offering(world, capacity=1)
    services.enrollment_create(tenant=world.a, learner=UserFactory.create(), offering_id=offering.pk)
    waiting = services.enrollment_create(tenant=world.a, learner=world.learner, offering_id=offering.pk)
    with django_capture_on_commit_callbacks(execute=True):
        response = api(world, world.a_admin).patch(
            f"/api/v1/staff/offerings/{offering.pk}/", {"capacity": 2}, format="json"
        )
    assert response.status_code == 200
    waiting.enrollment.refresh_from_db()
    assert waiting.enrollment.status == S.OFFERED


def test_offer_window_is_set_per_offering(world):
    offering = make_offering(world)
    admin = api(world, world.a_unit1_admin)
    assert admin.put(
        f"/api/v1/staff/offerings/{offering.pk}/offer-window/", {"hours": 24}, format="json"
    ).json() == {"hours": 24}
    assert (
        admin.put(
            f"/api/v1/staff/offerings/{offering.pk}/offer-window/", {"hours": 0}, format="json"
        ).status_code
        == 400
    )


def test_every_endpoint_is_in_the_schema(world):
    schema = api(world, None).get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    paths = schema["paths"]
    for path in (
        "/api/v1/enrollments/",
        "/api/v1/enrollments/{id}/",
        "/api/v1/enrollments/{id}/{action}/",
        "/api/v1/staff/offerings/{id}/roster/",
        "/api/v1/staff/offerings/{id}/enrollments/",
        "/api/v1/staff/offerings/{id}/offer-window/",
        "/api/v1/staff/enrollments/{id}/{action}/",
    ):
        assert path in paths, path
    create = paths["/api/v1/enrollments/"]["post"]
    assert {p["name"] for p in create["parameters"]} == {"Idempotency-Key"}
    assert set(create["responses"]) >= {"201", "404", "409", "422"}


def test_a_retry_after_cancelling_replays_and_does_not_enroll_again(world):
    offering = make_offering(world)
    client = api(world, world.learner)
    first = client.post(
        "/api/v1/enrollments/", {"offering": offering.pk}, format="json", HTTP_IDEMPOTENCY_KEY="r"
    )
    client.post(f"/api/v1/enrollments/{first.json()['id']}/cancel/")
    again = client.post(
        "/api/v1/enrollments/", {"offering": offering.pk}, format="json", HTTP_IDEMPOTENCY_KEY="r"
    )
    assert (again.status_code, again.json()) == (201, first.json())
    assert list(Enrollment.objects.filter(learner=world.learner).values_list("status", flat=True)) == [
        "cancelled"
    ]
    offering.refresh_from_db()
    assert offering.seats_taken == 0


def test_a_keyed_answer_is_stored_with_the_enrollment_and_replayed(world):
    """With an Idempotency-Key the answer is stored by the enrollment's own INSERT: held and
    waiting answers carry the real id and place, and a key reused elsewhere undoes the second
    enrollment."""
    from enrollment.models import IdempotencyRecord

    offering = make_offering(world, capacity=1, price_minor=5000, seat_hold_minutes=30)
    holder = UserFactory.create()
    held = api(world, holder).post(
        "/api/v1/enrollments/", {"offering": offering.pk}, format="json", HTTP_IDEMPOTENCY_KEY="h"
    )
    assert held.status_code == 201
    assert (held.json()["id"], held.json()["status"]) == (Enrollment.objects.get(learner=holder).pk, "held")
    assert held.json()["next_step"]["code"] == "pay"
    for place in (1, 2):
        learner = UserFactory.create()
        client = api(world, learner)
        first = client.post(
            "/api/v1/enrollments/", {"offering": offering.pk}, format="json", HTTP_IDEMPOTENCY_KEY="w"
        )
        body = first.json()
        assert (body["status"], body["waitlist_position"], body["id"]) == (
            "waitlisted",
            place,
            Enrollment.objects.get(learner=learner).pk,
        )
        assert body["next_step"] == {
            "code": "wait",
            "text": f"You are number {place} on the wait-list. We will e-mail you when a seat frees.",
            "due_at": None,
        }
        assert IdempotencyRecord.objects.get(user=learner, key="w").body == body
        again = client.post(
            "/api/v1/enrollments/", {"offering": offering.pk}, format="json", HTTP_IDEMPOTENCY_KEY="w"
        )
        assert (again.json(), again["Idempotent-Replayed"]) == (body, "true")
    other = make_offering(world, capacity=1)
    reused = api(world, holder).post(
        "/api/v1/enrollments/", {"offering": other.pk}, format="json", HTTP_IDEMPOTENCY_KEY="h"
    )
    assert (reused.status_code, reused.json()["error"]["code"]) == (422, "idempotency_key_reused")
    assert not Enrollment.objects.filter(offering=other).exists()
    other.refresh_from_db()
    assert other.seats_taken == 0


def test_the_written_out_answer_is_the_documented_shape_in_every_state(world):
    """`enrollment_body` writes EnrollmentOutput's shape by hand (it is the flash sale's hot
    path): in every state a learner sees, both give the same answer, dates included."""
    paid = make_offering(world, capacity=1, price_minor=4900)
    free = make_offering(world, capacity=1)
    holder = services.enrollment_create(tenant=world.a, learner=UserFactory.create(), offering_id=paid.pk)
    for _ in range(2):
        services.enrollment_create(tenant=world.a, learner=UserFactory.create(), offering_id=paid.pk)
    services.enrollment_create(tenant=world.a, learner=UserFactory.create(), offering_id=free.pk)
    services.enrollment_cancel(
        tenant=world.a, learner=holder.enrollment.learner, enrollment_id=holder.enrollment.pk
    )
    # The two states a learner reaches later: a hold whose checkout expired, a course completed.
    ended = make_offering(world, capacity=2, price_minor=4900)
    lapsed = services.enrollment_create(tenant=world.a, learner=UserFactory.create(), offering_id=ended.pk)
    assert lapsed.enrollment.status == "held"
    assert services.hold_release(
        tenant=world.a, enrollment_id=lapsed.enrollment.pk, reason="Checkout expired."
    )
    done = make_offering(world, capacity=2)
    finished = services.enrollment_create(tenant=world.a, learner=UserFactory.create(), offering_id=done.pk)
    assert finished.enrollment.status == "confirmed"
    Enrollment.objects.filter(pk=finished.enrollment.pk).update(status=S.COMPLETED, updated_at=timezone.now())
    seen = set()
    for enrollment in Enrollment.objects.filter(offering__in=[paid, free, ended, done]).select_related(
        "offering__microcredential"
    ):
        seen.add(enrollment.status)
        assert enrollment_body(enrollment) == EnrollmentOutput(enrollment).data
    assert seen == {"cancelled", "offered", "waitlisted", "confirmed", "expired", "completed"}
    held = services.enrollment_create(
        tenant=world.a, learner=UserFactory.create(), offering_id=make_offering(world, price_minor=4900).pk
    ).enrollment
    assert held.status == "held"
    assert enrollment_body(held) == EnrollmentOutput(held).data
    assert enrollment_body(held)["hold_expires_at"].endswith("Z")


def test_staff_enroll_and_cancel_replay_under_their_idempotency_key(world):
    offering = make_offering(world, capacity=3)
    admin = api(world, world.a_unit1_admin)
    url = f"/api/v1/staff/offerings/{offering.pk}/enrollments/"
    body = {"email": "retry@example.test", "reason": "Phone enrollment"}
    first = admin.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="staff-1")
    again = admin.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="staff-1")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    other = admin.post(
        url, {**body, "email": "other@example.test"}, format="json", HTTP_IDEMPOTENCY_KEY="staff-1"
    )
    assert other.status_code == 422
    assert Enrollment.objects.filter(offering=offering).count() == 1

    cancel = f"/api/v1/staff/enrollments/{first.json()['id']}/cancel/"
    done = admin.post(cancel, {"reason": "Asked"}, format="json", HTTP_IDEMPOTENCY_KEY="staff-2")
    replay = admin.post(cancel, {"reason": "Asked"}, format="json", HTTP_IDEMPOTENCY_KEY="staff-2")
    assert (done.status_code, replay.status_code) == (200, 200)  # not a 409: the first answer
    assert replay["Idempotent-Replayed"] == "true"
    assert replay.json()["status"] == "cancelled"

"""Issue #13: joining a wait-list, and a seat held by staff, are told by e-mail, once."""

from __future__ import annotations

from django.core import mail

from enrollment import services, tasks
from enrollment.models import EnrollmentMessage, MessageKind
from tests.enrollment.conftest import make_offering
from tests.factories import UserFactory


def test_joining_the_wait_list_e_mails_the_place_in_line_once(
    world, eager_tasks, django_capture_on_commit_callbacks
):
    offering = make_offering(world, capacity=1, microcredential__title="Welding I")
    first, second = (UserFactory.create(email=f"{n}@example.test") for n in ("ann", "bob"))
    services.enrollment_create(tenant=world.a, learner=world.learner, offering_id=offering.pk)
    services.enrollment_create(tenant=world.a, learner=first, offering_id=offering.pk)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.enrollment_create(tenant=world.a, learner=second, offering_id=offering.pk)
    [sent] = mail.outbox
    assert sent.to == ["bob@example.test"]
    assert sent.subject == "[Alpha Continuing Ed] You are on the wait-list: Welding I"
    assert "number 2 in line" in sent.body
    message = EnrollmentMessage.objects.get(kind=MessageKind.WAITLISTED, enrollment__learner=second)
    tasks.enrollment_message_send.delay(message.pk)  # a retried job, a duplicate delivery
    tasks.enrollment_message_send.delay(message.pk)
    assert len(mail.outbox) == 1


def test_staff_enroll_by_email_sends_the_held_seat_invitation_once(
    world, eager_tasks, django_capture_on_commit_callbacks
):
    offering = make_offering(
        world,
        price_minor=5000,
        seat_hold_minutes=30,
        microcredential__title="Welding I",
        time_zone="America/Chicago",
    )
    client = world.client_for(world.a_unit1_admin, world.a)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/console/offerings/{offering.pk}/roster/enroll/", {"email": "new@example.test", "reason": ""}
        )
    assert response.status_code == 302
    [sent] = mail.outbox
    assert sent.to == ["new@example.test"]
    assert sent.subject == "[Alpha Continuing Ed] A seat is held for you: Welding I"
    assert "(America/Chicago)" in sent.body
    assert "Pay to confirm it before" in sent.body
    assert "http://alpha.test/my/learning/" in sent.body
    message = EnrollmentMessage.objects.get(kind=MessageKind.HELD)
    tasks.enrollment_message_send.delay(message.pk)
    assert len(mail.outbox) == 1


def test_a_learner_who_cancels_is_told_once(world, eager_tasks, django_capture_on_commit_callbacks):
    offering = make_offering(world, microcredential__title="Welding I")
    enrollment = services.enrollment_create(
        tenant=world.a, learner=world.learner, offering_id=offering.pk
    ).enrollment
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.enrollment_cancel(tenant=world.a, learner=world.learner, enrollment_id=enrollment.pk)
    [sent] = mail.outbox
    assert sent.to == [world.learner.email]
    assert sent.subject == "[Alpha Continuing Ed] Your enrollment was cancelled: Welding I"
    assert "You cancelled your enrollment in Welding I." in sent.body
    message = EnrollmentMessage.objects.get(kind=MessageKind.CANCELLED)
    tasks.enrollment_message_send.delay(message.pk)
    assert len(mail.outbox) == 1


def test_declining_an_offer_and_leaving_the_wait_list_are_each_told_once(
    world, eager_tasks, django_capture_on_commit_callbacks
):
    offering = make_offering(world, capacity=1, microcredential__title="Welding I")
    ann, bob, cy = (UserFactory.create(email=f"{n}@example.test") for n in ("ann", "bob", "cy"))
    holder = services.enrollment_create(tenant=world.a, learner=ann, offering_id=offering.pk).enrollment
    offered = services.enrollment_create(tenant=world.a, learner=bob, offering_id=offering.pk).enrollment
    waiting = services.enrollment_create(tenant=world.a, learner=cy, offering_id=offering.pk).enrollment
    with django_capture_on_commit_callbacks(execute=True):
        services.enrollment_cancel(tenant=world.a, learner=ann, enrollment_id=holder.pk)
    offered.refresh_from_db()
    assert offered.status == "offered"
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        services.offer_decline(tenant=world.a, enrollment_id=offered.pk, learner=bob)
    with django_capture_on_commit_callbacks(execute=True):
        services.waitlist_leave(tenant=world.a, learner=cy, enrollment_id=waiting.pk)

    by_learner = {m.to[0]: m for m in mail.outbox if m.to[0] in ("bob@example.test", "cy@example.test")}
    assert len([m for m in mail.outbox if m.to[0] == "bob@example.test"]) == 1
    assert by_learner["bob@example.test"].subject == "[Alpha Continuing Ed] You declined the seat: Welding I"
    assert "You declined the seat offered to you in Welding I." in by_learner["bob@example.test"].body
    # cy was offered bob's seat, then left: told once that the wait-list place is gone.
    cy_mail = [m for m in mail.outbox if m.to[0] == "cy@example.test"]
    assert [m.subject for m in cy_mail][-1] == "[Alpha Continuing Ed] You left the wait-list: Welding I"
    assert "You left the wait-list for Welding I." in cy_mail[-1].body

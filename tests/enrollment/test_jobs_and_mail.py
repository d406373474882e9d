"""The minute job, and e-mails sent after commit through the outbox."""

from __future__ import annotations

import re
from datetime import timedelta

from django.core import mail
from django.utils import timezone

from core.jobs import enqueue
from enrollment import services, tasks
from enrollment.models import EnrollmentMessage, EnrollmentStatus
from enrollment.services import messages
from microcred.settings import CELERY_BEAT_SCHEDULE
from tests.enrollment.conftest import make_offering
from tests.factories import UserFactory

S = EnrollmentStatus
OFFER_LINK = re.compile(r"http://alpha\.test(/offers/[^/\s]+/)")


def test_beat_runs_expiry_and_promotion_every_minute():
    entry = CELERY_BEAT_SCHEDULE["enrollment-expire-and-promote"]
    assert (entry["task"], entry["schedule"]) == ("enrollment.expire_and_promote", 60.0)


def test_free_enrollment_e_mails_a_confirmation_after_commit(
    world, eager_tasks, django_capture_on_commit_callbacks
):
    offering = make_offering(world, microcredential__title="Welding I", microcredential__unit=world.a_unit1)
    with django_capture_on_commit_callbacks(execute=True):
        services.enrollment_create(tenant=world.a, learner=world.learner, offering_id=offering.pk)
        assert mail.outbox == []  # nothing leaves before the commit
    [sent] = mail.outbox
    assert sent.to == [world.learner.email]
    assert sent.subject == "[Alpha Continuing Ed] You are enrolled: Welding I"
    assert "http://alpha.test/my/learning/" in sent.body
    assert sent.from_email == "Alpha Continuing Ed <no-reply@microcred.localhost>"
    assert EnrollmentMessage.objects.get().sent_at is not None


def test_a_message_is_sent_once_however_often_it_is_asked_for(world, eager_tasks):
    offering = make_offering(world)
    result = services.enrollment_create(tenant=world.a, learner=world.learner, offering_id=offering.pk)
    message = EnrollmentMessage.objects.get(enrollment=result.enrollment)
    assert messages.message_send(message_id=message.pk) is True
    assert messages.message_send(message_id=message.pk) is False
    assert len(mail.outbox) == 1


def test_the_minute_job_resends_what_the_broker_missed(world, eager_tasks, monkeypatch):
    offering = make_offering(world)
    services.enrollment_create(tenant=world.a, learner=world.learner, offering_id=offering.pk)
    # The after-commit enqueue never happened (broker down): the row waits in the outbox.
    EnrollmentMessage.objects.update(created_at=timezone.now() - timedelta(minutes=2))
    assert tasks.enrollments_expire_and_promote() == {"expired": 0, "promoted": 0, "resent": 1}
    assert len(mail.outbox) == 1
    assert tasks.enrollments_expire_and_promote()["resent"] == 0


def test_enqueue_with_the_broker_down_does_not_fail_the_change(world, monkeypatch, caplog):
    def down(*args, **kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr(tasks.enrollment_message_send, "apply_async", down)
    enqueue(messages.SEND_TASK, 12345)
    assert "the sweep will" in caplog.text


def test_the_job_expires_a_hold_and_e_mails_the_offer_with_a_working_link(
    world, eager_tasks, django_capture_on_commit_callbacks, client
):
    offering = make_offering(world, capacity=1, price_minor=5000, seat_hold_minutes=30)
    holder = UserFactory.create()
    past = timezone.now() - timedelta(minutes=31)
    services.enrollment_create(tenant=world.a, learner=holder, offering_id=offering.pk, now=past)
    waiting = services.enrollment_create(tenant=world.a, learner=world.learner, offering_id=offering.pk)

    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.enrollments_expire_and_promote() == {"expired": 1, "promoted": 0, "resent": 0}
    subjects = {m.to[0]: m.subject for m in mail.outbox}
    assert subjects[holder.email].endswith("Your held seat has expired: " + offering.microcredential.title)
    offer_mail = next(m for m in mail.outbox if m.to == [world.learner.email])
    assert offer_mail.subject.endswith("A seat is free for you: " + offering.microcredential.title)
    found = OFFER_LINK.search(str(offer_mail.body))
    assert found is not None, offer_mail.body
    path = found.group(1)

    page = client.get(path, HTTP_HOST="alpha.test")
    assert page.status_code == 200
    assert "Accept the seat" in page.content.decode()
    client.post(path, {"action": "accept"}, HTTP_HOST="alpha.test")
    waiting.enrollment.refresh_from_db()
    assert waiting.enrollment.status == S.HELD
    # The link works once: afterwards it only says where things stand.
    assert "Accept the seat" not in client.get(path, HTTP_HOST="alpha.test").content.decode()


def test_an_offer_link_does_not_reach_another_tenant(world, client):
    offering = make_offering(world, capacity=1)
    services.enrollment_create(tenant=world.a, learner=UserFactory.create(), offering_id=offering.pk)
    waiting = services.enrollment_create(tenant=world.a, learner=world.learner, offering_id=offering.pk)
    token = messages.offer_token(waiting.enrollment)
    assert client.get(f"/offers/{token}/", HTTP_HOST="beta.test").status_code == 404
    assert client.get(f"/offers/{token}x/", HTTP_HOST="alpha.test").status_code == 404

"""An enrollment e-mail the mail server refused stays unsent in the outbox, and the minute sweep
sends it once the server takes mail again."""

from __future__ import annotations

from datetime import timedelta

from django.core import mail
from django.test import override_settings
from django.utils import timezone

from enrollment import services, tasks
from enrollment.models import EnrollmentMessage, EnrollmentStatus
from tests.enrollment.conftest import make_offering
from tests.mail_backends import REFUSING


def test_a_refused_confirmation_is_not_marked_sent_and_the_sweep_sends_it(
    world, eager_tasks, django_capture_on_commit_callbacks, caplog
):
    offering = make_offering(world, microcredential__title="Welding I", microcredential__unit=world.a_unit1)

    refusing = override_settings(EMAIL_DELIVERY_BACKEND=REFUSING)
    with refusing, django_capture_on_commit_callbacks(execute=True):
        result = services.enrollment_create(tenant=world.a, learner=world.learner, offering_id=offering.pk)

    assert result.enrollment.status == EnrollmentStatus.CONFIRMED  # the change itself stands
    assert mail.outbox == []
    message = EnrollmentMessage.objects.get(enrollment=result.enrollment)
    assert message.sent_at is None
    assert message.claimed_at is None  # released for the retry or the sweep
    assert message.attempts >= 1
    assert "the sweep will" in caplog.text

    EnrollmentMessage.objects.update(created_at=timezone.now() - timedelta(minutes=2))
    assert tasks.enrollments_expire_and_promote()["resent"] == 1

    [sent] = mail.outbox
    assert sent.to == [world.learner.email]
    assert sent.subject == "[Alpha Continuing Ed] You are enrolled: Welding I"
    assert EnrollmentMessage.objects.get().sent_at is not None
    assert tasks.enrollments_expire_and_promote()["resent"] == 0
    assert len(mail.outbox) == 1

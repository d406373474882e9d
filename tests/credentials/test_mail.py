"""The e-mails telling a learner about their credential: sent once from the outbox, in the
issuing unit's brand; a refused one waits for the minute sweep."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from datetime import timedelta

import pytest
from django.core import mail
from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from core.jobs import enqueue
from credentials import messages_tasks
from credentials.models import CredentialEvent, CredentialMessage, CredentialStatus, MessageKind
from credentials.services import messages
from microcred.celery import app
from microcred.settings import CELERY_BEAT_SCHEDULE, CELERY_IMPORTS
from tests.credentials.pages_world import make_credential
from tests.mail_backends import REFUSING


def queue(credential, kind: str, *, age: timedelta = timedelta(0)) -> CredentialMessage:
    return CredentialMessage.objects.create(
        tenant=credential.tenant, credential=credential, kind=kind, created_at=timezone.now() - age
    )


def test_the_task_is_registered_by_name_and_the_sweep_runs_every_minute():
    assert "credentials.messages_tasks" in CELERY_IMPORTS
    app.loader.import_default_modules()  # what a worker does at start: CELERY_IMPORTS
    assert app.tasks["credentials.send_message"].run.__module__ == "credentials.messages_tasks"
    assert app.tasks["credentials.messages_sweep"].run.__module__ == "credentials.messages_tasks"
    entry = CELERY_BEAT_SCHEDULE["credentials-messages-sweep"]
    assert (entry["task"], entry["schedule"]) == ("credentials.messages_sweep", 60.0)


def test_issued_says_what_from_whom_with_the_share_page_and_my_credentials(world):
    world.learner.preferred_name = "Ada"
    world.learner.save()
    credential = make_credential(learner=world.learner, unit=world.a_unit1, title="Welding I")
    message = queue(credential, MessageKind.ISSUED)
    assert messages_tasks.credential_message_send(message.pk) is True
    [sent] = mail.outbox
    assert sent.to == [world.learner.email]
    assert sent.subject == "[Alpha Continuing Ed] You earned Welding I"
    assert sent.from_email == "Alpha Continuing Ed <no-reply@microcred.localhost>"
    assert "Hello Ada," in sent.body
    assert "You earned Welding I, from Alpha Continuing Ed." in sent.body
    assert f"http://alpha.test/credentials/{credential.public_id}/" in sent.body
    assert "http://alpha.test/my/credentials/" in sent.body
    assert "https://www.linkedin.com/profile/add?startTask=CERTIFICATION_NAME" in sent.body
    [(html, mimetype)] = sent.alternatives  # type: ignore[attr-defined]
    assert mimetype == "text/html"
    assert "background:#123456" in html  # the unit's colour
    assert f'href="http://alpha.test/credentials/{credential.public_id}/"' in html
    assert "You earned Welding I" in html
    message.refresh_from_db()
    assert message.sent_at is not None
    assert message.attempts == 1


@pytest.mark.parametrize(
    ("kind", "status", "subject", "says"),
    [
        (
            MessageKind.SUSPENDED,
            CredentialStatus.SUSPENDED,
            "Your credential is suspended: Welding I",
            "has suspended your credential Welding I for now",
        ),
        (
            MessageKind.REVOKED,
            CredentialStatus.REVOKED,
            "Your credential is revoked: Welding I",
            "has revoked your credential Welding I",
        ),
    ],
)
def test_suspended_and_revoked_say_why(world, kind, status, subject, says):
    credential = make_credential(
        learner=world.learner,
        unit=world.a_unit1,
        title="Welding I",
        status=status,
        reason="Marks <re-checked>",
    )
    messages.message_send(message_id=queue(credential, kind).pk)
    [sent] = mail.outbox
    assert sent.subject == f"[Alpha Continuing Ed] {subject}"
    assert says in sent.body
    assert "Reason: Marks <re-checked>" in sent.body  # plain text: as typed
    html, _mimetype = sent.alternatives[0]  # type: ignore[attr-defined]
    assert "Marks &lt;re-checked&gt;" in html  # HTML: escaped


def test_a_late_suspended_mail_gives_the_suspensions_reason_not_a_later_one(world):
    credential = make_credential(
        learner=world.learner, unit=world.a_unit1, status=CredentialStatus.REVOKED, reason="Recorded in error"
    )
    at = timezone.now() - timedelta(hours=2)
    CredentialEvent.objects.create(
        tenant=credential.tenant, credential=credential, action="suspended", reason="Under review", at=at
    )
    suspended = CredentialMessage.objects.create(
        tenant=credential.tenant, credential=credential, kind=MessageKind.SUSPENDED, created_at=at
    )
    messages.message_send(message_id=suspended.pk)
    [sent] = mail.outbox
    assert "Reason: Under review" in sent.body
    assert "Recorded in error" not in sent.body


def test_reinstated_says_it_is_valid_again(world):
    credential = make_credential(learner=world.learner, unit=world.a_unit1, title="Welding I", reason="old")
    messages.message_send(message_id=queue(credential, MessageKind.REINSTATED).pk)
    [sent] = mail.outbox
    assert sent.subject == "[Alpha Continuing Ed] Your credential is valid again: Welding I"
    assert "is valid again" in sent.body
    assert "Reason" not in sent.body


def test_a_message_is_sent_once_however_often_it_is_asked_for(world):
    credential = make_credential(learner=world.learner, unit=world.a_unit1)
    message = queue(credential, MessageKind.ISSUED)
    assert messages.message_send(message_id=message.pk) is True
    assert messages.message_send(message_id=message.pk) is False
    assert messages_tasks.credential_message_send(message.pk) is False
    assert messages.message_send(message_id=987654321) is False  # no such row: nothing, no error
    assert len(mail.outbox) == 1


def test_a_refused_mail_stays_unsent_and_the_sweep_sends_it(world, monkeypatch):
    credential = make_credential(learner=world.learner, unit=world.a_unit1, title="Welding I")
    message = queue(credential, MessageKind.ISSUED)
    with (
        override_settings(EMAIL_DELIVERY_BACKEND=REFUSING),
        pytest.raises(OSError, match="unexpectedly closed"),
    ):
        messages.message_send(message_id=message.pk)
    message.refresh_from_db()
    assert message.sent_at is None
    assert message.claimed_at is None
    assert message.attempts == 1
    assert mail.outbox == []

    asked: list[tuple[str, tuple[int, ...]]] = []
    monkeypatch.setattr(messages_tasks, "enqueue", lambda name, *args: asked.append((name, args)))
    assert messages_tasks.credential_messages_sweep() == 0  # too fresh: its own task has it
    CredentialMessage.objects.update(created_at=timezone.now() - timedelta(minutes=2))
    assert messages_tasks.credential_messages_sweep() == 1
    assert asked == [("credentials.send_message", (message.pk,))]
    messages_tasks.credential_message_send(message.pk)
    assert [m.subject for m in mail.outbox] == ["[Alpha Continuing Ed] You earned Welding I"]
    assert messages_tasks.credential_messages_sweep() == 0  # sent: nothing due


def test_the_sweep_leaves_a_fresh_claim_alone_and_retakes_a_stale_one(world):
    credential = make_credential(learner=world.learner, unit=world.a_unit1)
    message = queue(credential, MessageKind.ISSUED, age=timedelta(minutes=10))
    CredentialMessage.objects.filter(pk=message.pk).update(claimed_at=timezone.now())
    assert messages.messages_due() == []
    assert messages.message_send(message_id=message.pk) is False  # another worker has it
    CredentialMessage.objects.filter(pk=message.pk).update(claimed_at=timezone.now() - timedelta(minutes=6))
    assert messages.messages_due() == [message.pk]
    assert messages.message_send(message_id=message.pk) is True
    assert len(mail.outbox) == 1


def test_enqueue_by_name_reaches_the_task(world, monkeypatch):
    sent: list[tuple[int, ...]] = []
    monkeypatch.setattr(
        messages_tasks.credential_message_send, "apply_async", lambda args, kwargs: sent.append(tuple(args))
    )
    assert enqueue("credentials.send_message", 42) is True
    assert sent == [(42,)]


class SlowBackend(BaseEmailBackend):
    """A mail server that takes its time: both workers are inside sending at once."""

    sent: list[str] = []

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        time.sleep(0.4)
        SlowBackend.sent.extend(str(m.subject) for m in email_messages)
        return len(email_messages)


def _two_workers_at_once(message_id: int) -> list[bool]:
    results: list[bool] = []
    start = threading.Barrier(2)

    def worker() -> None:
        try:
            start.wait(5)
            results.append(messages.message_send(message_id=message_id))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    return results


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_send_it_once(world, monkeypatch):
    credential = make_credential(learner=world.learner, unit=world.a_unit1)
    message = queue(credential, MessageKind.ISSUED)
    SlowBackend.sent = []
    with override_settings(EMAIL_DELIVERY_BACKEND=f"{__name__}.SlowBackend"):
        assert sorted(_two_workers_at_once(message.pk)) == [False, True]
        assert len(SlowBackend.sent) == 1

        # Negative control: without the claim, the same two workers send it twice.
        second = queue(credential, MessageKind.REINSTATED)
        SlowBackend.sent = []
        monkeypatch.setattr(messages.outbox, "claim", lambda message_id, now: True)
        assert _two_workers_at_once(second.pk) == [True, True]
        assert len(SlowBackend.sent) == 2

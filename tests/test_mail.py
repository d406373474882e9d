"""E-mail leaves through a Celery task after commit (microcred/mail.py), with the real broker."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from celery.contrib.testing.worker import start_worker
from django.core import mail
from django.core.mail import EmailMultiAlternatives, send_mail
from django.db import transaction

from learners.demo import seed_demo_learners
from microcred.celery import app
from tenants.demo import seed_demo
from tests.broker import broker_down

QUEUED = "core.mail.QueuedEmailBackend"
LOCMEM = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def queued_mail(settings) -> None:
    settings.EMAIL_BACKEND = QUEUED
    settings.EMAIL_DELIVERY_BACKEND = LOCMEM


@pytest.fixture
def worker(transactional_db) -> Iterator[None]:
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        yield


def _wait_for_outbox(count: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while len(mail.outbox) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(mail.outbox) >= count, f"{len(mail.outbox)} e-mails arrived, expected {count}"


def test_a_sign_in_code_arrives_through_the_worker(queued_mail, worker, client):
    seed_demo()
    seed_demo_learners()

    response = client.post("/accounts/login/", {"login": "ada@learners.localhost"}, HTTP_HOST="127.0.0.1")

    assert response.status_code == 302
    _wait_for_outbox(1)
    message = mail.outbox[0]
    assert message.to == ["ada@learners.localhost"]
    assert message.subject.startswith("[Northfield University] Your sign-in code")


def test_html_parts_and_attachments_survive_the_queue(queued_mail, worker):
    message = EmailMultiAlternatives("Receipt", "Plain text", "unit@example.test", ["ada@example.test"])
    message.attach_alternative("<p>HTML</p>", "text/html")
    message.attach("receipt.csv", b"a,b\r\n1,2\r\n", "text/csv")

    message.send()

    _wait_for_outbox(1)
    sent = mail.outbox[0]
    assert isinstance(sent, EmailMultiAlternatives)
    assert sent.alternatives[0][0] == "<p>HTML</p>"
    assert sent.attachments[0][0] == "receipt.csv"
    assert sent.attachments[0][1] == "a,b\r\n1,2\r\n"  # Django decodes text/* attachments


def _send_then_fail() -> None:
    with transaction.atomic():
        send_mail("Never", "This change was rolled back.", None, ["ada@example.test"])
        raise RuntimeError("roll back")


def test_a_rolled_back_change_sends_nothing(queued_mail, worker):
    with pytest.raises(RuntimeError):
        _send_then_fail()
    send_mail("Kept", "This one was committed.", None, ["ada@example.test"])

    _wait_for_outbox(1)
    time.sleep(0.3)  # time for a wrongly queued first message to arrive too
    assert [m.subject for m in mail.outbox] == ["Kept"]


def test_with_the_broker_down_the_message_is_sent_at_once(queued_mail, transactional_db):
    with broker_down():
        send_mail("Code", "Your code is 123456.", None, ["ada@example.test"])

    assert [m.subject for m in mail.outbox] == ["Code"]

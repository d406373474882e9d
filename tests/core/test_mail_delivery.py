"""core.mail.deliver_now: the mail server takes the message now, or the caller hears it did not."""

from __future__ import annotations

import smtplib

import pytest
from django.core import mail
from django.core.mail import EmailMessage
from django.test import override_settings

from core.mail import DeliveryRefused, deliver_now
from tests.mail_backends import REFUSING, SILENT


def _message() -> EmailMessage:
    return EmailMessage("Receipt", "Thank you.", "unit@example.test", ["ada@example.test"])


@override_settings(EMAIL_BACKEND="core.mail.QueuedEmailBackend")
def test_it_goes_straight_to_the_delivery_backend_not_through_the_queue():
    deliver_now(_message())  # no transaction to commit, no worker: the queue would hold it

    [sent] = mail.outbox
    assert (sent.subject, sent.to) == ("Receipt", ["ada@example.test"])


@override_settings(EMAIL_DELIVERY_BACKEND=REFUSING)
def test_a_mail_server_that_hangs_up_is_an_error_for_the_caller():
    with pytest.raises(smtplib.SMTPServerDisconnected):
        deliver_now(_message())
    assert mail.outbox == []


@override_settings(EMAIL_DELIVERY_BACKEND=SILENT)
def test_a_backend_that_takes_nothing_is_an_error_too():
    with pytest.raises(DeliveryRefused):
        deliver_now(_message())
    assert issubclass(DeliveryRefused, OSError)  # what the mail jobs retry on

"""How e-mail leaves: two ways, chosen by whether a row already makes the mail durable.

Mail with an outbox (a row that records it was sent and a sweep that retries it: enrollment
messages, payment receipts, refund notices and outcomes) is handed to the mail server by the
outbox's own worker through `deliver_now`, with settings.EMAIL_DELIVERY_BACKEND. A row left
marked sent (`sent_at`, or the claim column payments sets) therefore means the mail server took
the message; if it refuses or cannot be reached, `deliver_now` raises, the worker releases its
claim, and the job's retry or the sweep sends it later. Never `.send()` such a message: that
would queue it a second time, and a failure after that would be invisible to the outbox.

Mail without an outbox (allauth's sign-in codes and password resets, staff invitations) is sent
with `.send()`, which uses settings.EMAIL_BACKEND, `QueuedEmailBackend`: it turns each message
into plain JSON and hands it to the `microcred.send_email` task once the current transaction has
committed (a rolled-back change sends nothing). The task delivers it with `deliver_now`, retrying
with back-off while the mail server is unreachable. If the broker itself cannot be reached, the
message is sent at once instead: a sign-in code is never lost to a broker outage.
"""

from __future__ import annotations

import base64
import logging
import smtplib
from collections.abc import Sequence
from functools import partial
from typing import Any

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

Payload = dict[str, Any]


def message_to_payload(message: EmailMessage) -> Payload:
    alternatives = getattr(message, "alternatives", [])
    attachments = []
    for attachment in message.attachments:
        if not isinstance(attachment, tuple):  # a prebuilt MIME part: not ours to flatten
            raise ValueError("QueuedEmailBackend sends (name, content, mimetype) attachments only")
        name, content, mimetype = attachment
        raw = content.encode() if isinstance(content, str) else content
        attachments.append([name, base64.b64encode(raw).decode(), mimetype])
    return {
        "subject": message.subject,
        "body": message.body,
        "from_email": message.from_email,
        "to": list(message.to),
        "cc": list(message.cc),
        "bcc": list(message.bcc),
        "reply_to": list(message.reply_to),
        "headers": dict(message.extra_headers),
        "alternatives": [[content, mimetype] for content, mimetype in alternatives],
        "attachments": attachments,
    }


def payload_to_message(payload: Payload) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=payload["subject"],
        body=payload["body"],
        from_email=payload["from_email"],
        to=payload["to"],
        cc=payload["cc"],
        bcc=payload["bcc"],
        reply_to=payload["reply_to"],
        headers=payload["headers"],
    )
    for content, mimetype in payload["alternatives"]:
        message.attach_alternative(content, mimetype)
    for name, content, mimetype in payload["attachments"]:
        message.attach(name, base64.b64decode(content), mimetype)
    return message


class DeliveryRefused(smtplib.SMTPException):
    """The delivery backend took none of the messages (an OSError, so mail jobs retry it)."""


def deliver_now(message: EmailMessage) -> None:
    """Hand one message to the mail server now (settings.EMAIL_DELIVERY_BACKEND); returns once
    the server has accepted it, raises when it has not."""
    connection = get_connection(settings.EMAIL_DELIVERY_BACKEND, fail_silently=False)
    if connection.send_messages([message]) != 1:
        raise DeliveryRefused(f"the mail server did not accept the message to {message.to}")


def _deliver_payload(payload: Payload) -> None:
    deliver_now(payload_to_message(payload))


@shared_task(
    name="microcred.send_email",
    autoretry_for=(smtplib.SMTPException, OSError),
    retry_backoff=30,
    retry_backoff_max=30 * 60,
    retry_jitter=True,
    max_retries=10,
)
def send_email(payload: Payload) -> None:
    _deliver_payload(payload)


def _enqueue(payload: Payload) -> None:
    try:
        send_email.delay(payload)
    except (BrokerError, RedisError, OSError):
        logger.warning("broker unreachable: sending the e-mail to %s at once", payload["to"])
        _deliver_payload(payload)


class QueuedEmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        for message in email_messages:
            payload = message_to_payload(message)
            transaction.on_commit(partial(_enqueue, payload))
        return len(email_messages)

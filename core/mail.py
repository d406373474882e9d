"""E-mail leaves through Celery, so no request waits on an SMTP server.

`QueuedEmailBackend` (settings.EMAIL_BACKEND) turns each message into plain JSON and hands it to
the `microcred.send_email` task once the current transaction has committed (a rolled-back change
sends nothing). The task sends it with the real backend, settings.EMAIL_DELIVERY_BACKEND,
retrying with back-off while the mail server is unreachable. If the broker itself cannot be
reached, the message is sent at once instead: a sign-in code is never lost to a broker outage.
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


def deliver(payload: Payload) -> None:
    """Send one message now, with the real backend."""
    connection = get_connection(settings.EMAIL_DELIVERY_BACKEND)
    connection.send_messages([payload_to_message(payload)])


@shared_task(
    name="microcred.send_email",
    autoretry_for=(smtplib.SMTPException, OSError),
    retry_backoff=30,
    retry_backoff_max=30 * 60,
    retry_jitter=True,
    max_retries=10,
)
def send_email(payload: Payload) -> None:
    deliver(payload)


def _enqueue(payload: Payload) -> None:
    try:
        send_email.delay(payload)
    except (BrokerError, RedisError, OSError):
        logger.warning("broker unreachable: sending the e-mail to %s at once", payload["to"])
        deliver(payload)


class QueuedEmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        for message in email_messages:
            payload = message_to_payload(message)
            transaction.on_commit(partial(_enqueue, payload))
        return len(email_messages)

"""Delivery backends standing in for a mail server that will not take the mail."""

from __future__ import annotations

import smtplib
from collections.abc import Sequence

from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend

REFUSING = "tests.mail_backends.RefusingBackend"
SILENT = "tests.mail_backends.SilentBackend"


class RefusingBackend(BaseEmailBackend):
    """The mail server hangs up, as smtplib reports it."""

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


class SilentBackend(BaseEmailBackend):
    """Takes nothing and says so only by its count (what a fail_silently backend does)."""

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        return 0

"""Helpers for the sign-in tests: read codes from the test mail outbox like a learner would."""

from __future__ import annotations

import re

from django.core import mail
from django.core.mail import EmailMessage

CODE_RE = re.compile(r"\b([A-Z]{4}-[A-Z]{4})\b")


def last_mail_to(address: str) -> EmailMessage:
    sent = [m for m in mail.outbox if address in m.to]
    assert sent, f"no e-mail to {address}; outbox: {[m.to for m in mail.outbox]}"
    return sent[-1]


def code_in(message: EmailMessage) -> str:
    found = CODE_RE.search(str(message.body))
    assert found is not None, message.body
    return found.group(1)


def html_of(message: EmailMessage) -> str:
    alternatives = getattr(message, "alternatives", [])
    return next(str(content) for content, mimetype in alternatives if mimetype == "text/html")

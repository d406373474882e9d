"""Secrets at rest (a tenant's Stripe keys, a unit's signing keys): Fernet (AES-128-CBC + HMAC).

Each purpose has its own key: the setting it names when set (a Fernet key), else one derived
from SECRET_KEY and the purpose, so a key of one purpose never opens another's secrets.

    token = encrypt(private_pem, purpose="credentials.keys", setting="CREDENTIALS_SECRETS_KEY")
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


class SecretUnreadable(Exception):
    """The stored secret was sealed with another key (SECRET_KEY or the purpose's key changed)."""


def _fernet(purpose: str, setting: str) -> Fernet:
    configured = getattr(settings, setting, "")
    if configured:
        return Fernet(configured.encode())
    digest = hashlib.sha256(f"microcred.{purpose}:{settings.SECRET_KEY}".encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def encrypt(value: str, *, purpose: str, setting: str) -> str:
    return _fernet(purpose, setting).encrypt(value.encode()).decode() if value else ""


def decrypt(token: str, *, purpose: str, setting: str) -> str:
    try:
        return _fernet(purpose, setting).decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise SecretUnreadable(purpose) from exc

"""Tenant Stripe secrets at rest (core.secrets, with settings.PAYMENTS_SECRETS_KEY, by default
derived from SECRET_KEY); or an environment variable's name. Shown to people only masked
(`sk_test_…1234`)."""

from __future__ import annotations

import os

from django.utils.translation import gettext as _

from core import secrets as core_secrets
from payments.errors import StripeNotConfigured
from payments.models import TenantStripeSettings

PURPOSE = "payments.secrets"
SETTING = "PAYMENTS_SECRETS_KEY"


def encrypt(value: str) -> str:
    return core_secrets.encrypt(value, purpose=PURPOSE, setting=SETTING)


def decrypt(token: str) -> str:
    try:
        return core_secrets.decrypt(token, purpose=PURPOSE, setting=SETTING)
    except core_secrets.SecretUnreadable as exc:
        raise StripeNotConfigured(_("The stored Stripe secret cannot be read with this key.")) from exc


def mask(value: str) -> str:
    """`sk_test_…1234`: the kind of key and its last four characters, never more."""
    if not value:
        return ""
    parts = value.split("_")
    if len(parts) >= 3 and parts[1] in ("test", "live"):
        prefix = f"{parts[0]}_{parts[1]}_"
    else:
        prefix = f"{parts[0]}_" if len(parts) >= 2 else ""
    return f"{prefix}…{value[-4:]}"


def _read(encrypted: str, env_name: str) -> str:
    if env_name:
        return os.environ.get(env_name, "")
    return decrypt(encrypted) if encrypted else ""


def secret_key(stripe_settings: TenantStripeSettings) -> str:
    return _read(stripe_settings.secret_key_encrypted, stripe_settings.secret_key_env)


def webhook_secret(stripe_settings: TenantStripeSettings) -> str:
    return _read(stripe_settings.webhook_secret_encrypted, stripe_settings.webhook_secret_env)

"""Setting a tenant's Stripe keys: encrypted at rest, or named by an environment variable."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from payments import secrets
from payments.models import TenantStripeSettings
from tenants.models import Tenant


def stripe_settings_save(
    *,
    tenant: Tenant,
    secret_key: str = "",
    webhook_secret: str = "",
    secret_key_env: str = "",
    webhook_secret_env: str = "",
    now: datetime | None = None,
) -> TenantStripeSettings:
    """A value given replaces the stored one; an empty value keeps it. Naming an environment
    variable forgets the stored secret of that kind."""
    found, _ = TenantStripeSettings.objects.get_or_create(tenant=tenant)
    if secret_key:
        found.secret_key_encrypted = secrets.encrypt(secret_key)
    if webhook_secret:
        found.webhook_secret_encrypted = secrets.encrypt(webhook_secret)
    found.secret_key_env = secret_key_env
    found.webhook_secret_env = webhook_secret_env
    if secret_key_env:
        found.secret_key_encrypted = ""
    if webhook_secret_env:
        found.webhook_secret_encrypted = ""
    found.updated_at = now or timezone.now()
    found.save()
    return found

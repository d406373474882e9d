"""manage.py stripe_keys_set <tenant-slug> [--secret-key sk_…] [--webhook-secret whsec_…]
[--secret-key-env NAME] [--webhook-secret-env NAME]: set a tenant's Stripe keys (stored
encrypted, or named by an environment variable). Prints them masked."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from payments import secrets
from payments.services.stripe_settings import stripe_settings_save
from tenants.models import Tenant


class Command(BaseCommand):
    help = "Set a tenant's Stripe secret key and webhook secret (shown back masked)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("tenant", help="the tenant's slug")
        parser.add_argument("--secret-key", default="")
        parser.add_argument("--webhook-secret", default="")
        parser.add_argument("--secret-key-env", default="")
        parser.add_argument("--webhook-secret-env", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        tenant = Tenant.objects.filter(slug=options["tenant"]).first()
        if tenant is None:
            raise CommandError(f"No tenant {options['tenant']!r}.")
        if options["secret_key"] and not options["secret_key"].startswith(("sk_", "rk_")):
            raise CommandError("A Stripe secret key starts with sk_ (or rk_).")
        if options["webhook_secret"] and not options["webhook_secret"].startswith("whsec_"):
            raise CommandError("A webhook signing secret starts with whsec_.")
        stored = stripe_settings_save(
            tenant=tenant,
            secret_key=options["secret_key"],
            webhook_secret=options["webhook_secret"],
            secret_key_env=options["secret_key_env"],
            webhook_secret_env=options["webhook_secret_env"],
        )
        self.stdout.write(
            f"{tenant.name}: secret key {secrets.mask(secrets.secret_key(stored)) or '(none)'}, "
            f"webhook secret {secrets.mask(secrets.webhook_secret(stored)) or '(none)'}"
        )

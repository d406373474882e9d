"""`manage.py finance_import <tenant-slug> [--workers N]`: import a tenant's Stripe history now,
post its payouts to the ledger and reconcile — for a first import of a long history (the hourly
job does the same with one process; Celery's workers may not fork)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from finance.services.sync import stripe_sync
from payments.stripe_api import stripe_client_for
from tenants.models import Tenant


class Command(BaseCommand):
    help = "Import a tenant's Stripe payouts and balance transactions, then reconcile them."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("tenant", help="the tenant's slug")
        parser.add_argument("--workers", type=int, default=1, help="processes reading from Stripe")

    def handle(self, *args: Any, **options: Any) -> None:
        tenant = Tenant.objects.filter(slug=options["tenant"]).first()
        if tenant is None:
            raise CommandError(f"No tenant {options['tenant']!r}.")
        done = stripe_sync(
            tenant=tenant,
            client=stripe_client_for(tenant),
            trigger="manual",
            workers=max(1, options["workers"]),
            client_factory=lambda: stripe_client_for(tenant),
        )
        run = done.run
        self.stdout.write(
            f"{run.transactions_seen} balance transactions read ({run.transactions_new} new), "
            f"{run.payouts_seen} payouts, {done.payouts_posted} posted to the ledger; "
            f"problems: {done.reconciled.problems or 'none'}"
        )

"""Finance's one workflow: catch up with Stripe, post the payouts to the ledger, reconcile.

The hourly job, a `payout.*` event, the console's *Import from Stripe now* and
`manage.py finance_import` all run it through `stripe_sync`; each step is idempotent, so running
it twice (at once, too) changes nothing the first did not.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import stripe

from finance.models import ImportRun
from finance.services.imports import ClientFactory, payout_import, stripe_import
from finance.services.payout_posting import payouts_post
from finance.services.reconcile import ReconcileResult, reconcile
from tenants.models import Tenant


@dataclass(frozen=True)
class SyncResult:
    run: ImportRun
    payouts_posted: int
    reconciled: ReconcileResult

    def summary(self) -> dict[str, Any]:
        """What a job returns (Celery stores it as JSON)."""
        return {
            "run": self.run.pk,
            "payouts_posted": self.payouts_posted,
            "problems": self.reconciled.problems,
        }


def stripe_sync(
    *,
    tenant: Tenant,
    client: stripe.StripeClient,
    trigger: str,
    payout_id: str | None = None,
    workers: int = 1,
    client_factory: ClientFactory | None = None,
) -> SyncResult:
    """Import (everything new, or just `payout_id` and its items when a payout event names one),
    post every payout the ledger lacks, reconcile the tenant. `trigger` is recorded on the import
    run ("schedule", "manual", "event payout.paid"). `workers` > 1 reads from Stripe with forked
    processes, each with a client from `client_factory` (the management command; never a Celery
    worker)."""
    if payout_id is None:
        run = stripe_import(
            tenant=tenant, client=client, trigger=trigger, workers=workers, client_factory=client_factory
        )
    else:
        run = payout_import(tenant=tenant, client=client, payout_id=payout_id, trigger=trigger)
    posted = payouts_post(tenant=tenant)
    return SyncResult(run=run, payouts_posted=posted, reconciled=reconcile(tenant=tenant))

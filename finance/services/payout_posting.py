"""Payouts in the ledger: finance is the app that hears of them, so it posts them.

A payout takes its amount out of the processor clearing account into the bank when Stripe
creates it (its balance transaction is made then); a payout that fails puts it back. Posting is
idempotent (ledger_post by the payout's id), so this runs after every import.
"""

from __future__ import annotations

from django.db import transaction

from finance.models import Payout
from ledger.models import LedgerTransaction, TransactionKind
from ledger.services import ledger_post, payout_lines, payout_reversal_lines
from tenants.models import Tenant


def payouts_post(*, tenant: Tenant) -> int:
    """Post every imported payout (and reversal of a failed one) the ledger lacks; how many."""
    posted = set(
        LedgerTransaction.objects.filter(
            tenant=tenant, kind__in=[TransactionKind.PAYOUT, TransactionKind.PAYOUT_REVERSAL]
        ).values_list("kind", "source_ref")
    )
    count = 0
    for payout in Payout.objects.filter(tenant=tenant).order_by("created", "id"):
        if (TransactionKind.PAYOUT, payout.stripe_id) not in posted:
            with transaction.atomic():
                ledger_post(
                    tenant=tenant,
                    kind=TransactionKind.PAYOUT,
                    source_ref=payout.stripe_id,
                    currency=payout.currency,
                    lines=payout_lines(amount=payout.amount),
                    occurred_at=payout.created,
                    memo="Stripe payout",
                )
            count += 1
        if payout.status == "failed" and (TransactionKind.PAYOUT_REVERSAL, payout.stripe_id) not in posted:
            with transaction.atomic():
                ledger_post(
                    tenant=tenant,
                    kind=TransactionKind.PAYOUT_REVERSAL,
                    source_ref=payout.stripe_id,
                    currency=payout.currency,
                    lines=payout_reversal_lines(amount=payout.amount),
                    occurred_at=payout.arrival_date,
                    memo=f"Stripe payout failed: {payout.failure_code}",
                )
            count += 1
    return count

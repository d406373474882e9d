"""A paid-out history for the demo tenants, so finance's pages are not empty on a first look.

Run by `make run` once the local Stripes answer (`python -m devtools.demo_finance`), and made as
real payouts are: charges on the tenant's own (local) Stripe, each posted to the ledger as
payments posts a paid order line (its unit, the processing fee from its balance transaction),
a partial refund, one charge the ledger never recorded (so the problems page has one to show),
a payout of the available balance, then the same import, payout posting and reconciliation the
hourly job runs, and a first GL journal export. A tenant that already has payouts is left as it is.

A dev tool: it may use the local Stripe's control API (`/_control/`), which no app may import.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

DEMO_CURRENCIES = {"northfield": "usd", "harbor": "cad"}


@dataclass(frozen=True)
class Seeded:
    charges: int
    payouts: int
    problems: int


def _at(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)


def seed_finance(*, tenant: Any, control: Any) -> Seeded | None:
    """Charges, a refund, a payout, then import and reconcile, for one tenant. None if it has payouts.

    Django's modules are imported here: `python -m devtools.demo_finance` sets Django up first."""
    from django.db import transaction
    from django.utils import timezone

    from catalog.models import Offering
    from finance.models import Payout
    from finance.services.journal import journal_export
    from finance.services.sync import stripe_sync
    from ledger.models import TransactionKind
    from ledger.services import ChargeLine, charge_lines, ledger_post, refund_lines
    from payments.stripe_api import stripe_client_for

    if Payout.objects.filter(tenant=tenant).exists():
        return None
    sdk = stripe_client_for(tenant)
    currency = tenant.currency.lower()
    offerings = list(
        Offering.objects.filter(tenant=tenant, price_minor__gt=0, currency=tenant.currency)
        .select_related("microcredential__unit")
        .order_by("pk")[:4]
    )
    charged: list[tuple[str, int, int]] = []  # (charge id, unit id, amount)
    for n, offering in enumerate(offerings * 2):
        made = control.seed_charges(1, amount=offering.price_minor, currency=currency, available=True)
        charge_id = made["first"]
        unit_id = offering.microcredential.unit_id
        if n == 1:  # Stripe has it, the ledger does not: an unmatched charge for finance to see
            continue
        bt = sdk.v1.balance_transactions.list(params={"source": charge_id}).data[0]
        ledger_post(
            tenant=tenant,
            kind=TransactionKind.CHARGE,
            source_ref=charge_id,
            currency=tenant.currency,
            lines=charge_lines(lines=[ChargeLine(unit_id, offering.price_minor, f"demo:{n}")], fee=bt.fee),
            occurred_at=_at(bt.created),
            memo="Demo data",
        )
        charged.append((charge_id, unit_id, offering.price_minor))
    if charged:
        charge_id, unit_id, amount = charged[0]
        refund = sdk.v1.refunds.create(params={"charge": charge_id, "amount": amount // 5})
        ledger_post(
            tenant=tenant,
            kind=TransactionKind.REFUND,
            source_ref=refund.id,
            currency=tenant.currency,
            lines=refund_lines(unit_id=unit_id, amount=amount // 5),
            occurred_at=_at(refund.created),
            memo="Demo data",
        )
    control.trigger_payout(currency)
    synced = stripe_sync(tenant=tenant, client=sdk, trigger="manual")
    with transaction.atomic():  # what finance would export first: everything up to now
        journal_export(tenant=tenant, currency=tenant.currency, period_end=timezone.now())
    return Seeded(
        charges=len(offerings) * 2, payouts=synced.run.payouts_seen, problems=synced.reconciled.problem_count
    )


def _answering(control: Any, seconds: float = 30.0) -> bool:
    """The local Stripes start beside the web server: wait for this one's control API."""
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            control.now()
            return True
        except OSError:
            time.sleep(0.5)
    return False


def main() -> int:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "microcred.settings")
    django.setup()
    from django.conf import settings

    from stripe_local.client import ControlClient
    from tenants.models import Tenant

    for slug in DEMO_CURRENCIES:
        tenant = Tenant.objects.filter(slug=slug).first()
        base = settings.STRIPE_API_BASES.get(slug)
        if tenant is None or not base:
            continue
        control = ControlClient(base)
        if not _answering(control):
            print(f"Demo finance history for {slug}: its local Stripe does not answer.", flush=True)
            continue
        seeded = seed_finance(tenant=tenant, control=control)
        if seeded is None:
            print(f"Demo finance history for {slug}: already present.", flush=True)
        else:
            print(
                f"Demo finance history for {slug}: {seeded.charges} charges, {seeded.payouts} payout, "
                f"{seeded.problems} problem(s) to look at.",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

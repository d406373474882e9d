"""Importing a tenant's balance transactions and payouts from Stripe.

Everything pages with the SDK's auto-pagination and is written in bulk (`INSERT … ON CONFLICT`,
batches of BATCH rows), so a re-import changes nothing and an interrupted one resumes: the
cursors (Unix times of the newest row seen) advance only after a pass completes, and each pass
asks Stripe for `created >= cursor` again (rows of that very second are seen twice, harmlessly).

A payout's items are listed with `balance_transactions.list(payout=…)` (Stripe says which payout
swept a transaction in no other way); they are taken again until Stripe says the payout's
reconciliation is complete.
"""

from __future__ import annotations

import logging
import multiprocessing
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import stripe
from django.db import connection, connections, transaction
from django.db.models import F, Max
from django.utils import timezone
from psycopg2.extras import execute_values

from finance.errors import ImportFailed
from finance.models import BalanceTransaction, ImportRun, ImportRunStatus, ImportState, Payout
from tenants.models import Tenant

logger = logging.getLogger(__name__)

BATCH = 2000
PAGE = 100
# A first import takes history through the payouts (each transaction once, with its payout) and
# lists everything else from this long before the newest automatic payout: a transaction older
# than that was available when that payout swept the balance, so it is in some payout. (Stripe
# makes funds available within 7 days at most on a standard schedule; this leaves double.)
COLD_START_WINDOW = 14 * 86_400
FINAL_PAYOUT_STATUSES = ("paid", "failed", "canceled")


def _at(seconds: int | None) -> datetime | None:
    return datetime.fromtimestamp(seconds, tz=UTC) if seconds is not None else None


def _bt_row(tenant_id: int, bt: Any, payout_id: str) -> tuple[Any, ...]:
    source = bt.source if isinstance(bt.source, str) else (bt.source.id if bt.source else "")
    return (
        tenant_id,
        bt.id,
        bt.type,
        bt.reporting_category or "",
        source or "",
        bt.amount,
        bt.fee,
        bt.net,
        bt.currency.upper(),
        bt.status or "",
        _at(bt.created),
        _at(bt.available_on),
        payout_id,
    )


_BT_SQL = f"""
INSERT INTO {BalanceTransaction._meta.db_table}
    (tenant_id, stripe_id, type, reporting_category, source_id, amount, fee, net, currency, status,
     created, available_on, payout_stripe_id, match)
VALUES %s
ON CONFLICT (tenant_id, stripe_id) DO UPDATE SET
    status = EXCLUDED.status,
    available_on = EXCLUDED.available_on,
    payout_stripe_id = CASE WHEN EXCLUDED.payout_stripe_id <> '' THEN EXCLUDED.payout_stripe_id
                            ELSE {BalanceTransaction._meta.db_table}.payout_stripe_id END
WHERE {BalanceTransaction._meta.db_table}.status IS DISTINCT FROM EXCLUDED.status
   OR {BalanceTransaction._meta.db_table}.available_on IS DISTINCT FROM EXCLUDED.available_on
   OR (EXCLUDED.payout_stripe_id <> ''
       AND {BalanceTransaction._meta.db_table}.payout_stripe_id IS DISTINCT FROM EXCLUDED.payout_stripe_id)
RETURNING (xmax = 0)
"""


def _write_balance_transactions(rows: list[tuple[Any, ...]]) -> int:
    """Upsert; returns how many rows were new. Unchanged rows are not rewritten."""
    if not rows:
        return 0
    with transaction.atomic(), connection.cursor() as cursor:
        inserted = execute_values(
            cursor.cursor,
            _BT_SQL,
            [(*row, "unchecked") for row in rows],
            page_size=BATCH,
            fetch=True,
        )
    return sum(1 for (is_new,) in inserted if is_new)


def _payout_fields(po: Any) -> dict[str, Any]:
    return {
        "amount": po.amount,
        "currency": po.currency.upper(),
        "status": po.status,
        "automatic": bool(po.automatic),
        "created": _at(po.created),
        "arrival_date": _at(po.arrival_date),
        "stripe_reconciliation_status": getattr(po, "reconciliation_status", None) or "",
        "failure_code": getattr(po, "failure_code", None) or "",
    }


def _payout_upsert(tenant: Tenant, po: Any) -> Payout:
    fields = _payout_fields(po)
    payout, created = Payout.objects.get_or_create(tenant=tenant, stripe_id=po.id, defaults=fields)
    if not created and any(getattr(payout, k) != v for k, v in fields.items()):
        for key, value in fields.items():
            setattr(payout, key, value)
        payout.save(update_fields=list(fields))
    return payout


class _Progress:
    """The run row, updated every batch so the payouts page can show how far a long import is.
    Increments in SQL: worker processes of one run (stripe_import's `workers`) add up."""

    def __init__(self, run: ImportRun) -> None:
        self.run = run

    def step(self, text: str, *, seen: int = 0, new: int = 0, payouts: int = 0) -> None:
        run = self.run
        run.transactions_seen += seen
        run.transactions_new += new
        run.payouts_seen += payouts
        ImportRun.objects.filter(pk=run.pk).update(
            step=text,
            transactions_seen=F("transactions_seen") + seen,
            transactions_new=F("transactions_new") + new,
            payouts_seen=F("payouts_seen") + payouts,
        )
        logger.info(
            "finance import tenant=%s: %s (%s transactions seen, %s new, %s payouts)",
            run.tenant_id,
            text,
            run.transactions_seen,
            run.transactions_new,
            run.payouts_seen,
        )


def _batched(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _import_transactions(
    tenant: Tenant, listing: Iterable[Any], progress: _Progress, label: str, payout_id: str = ""
) -> int:
    """Write while the next pages are read: a writer thread with its own connection upserts each
    batch (the database's work overlaps the SDK's), at most two batches in flight so memory stays
    flat. Inside a caller's transaction, batches are written inline instead, in it."""
    newest = 0
    if connection.in_atomic_block:
        for batch in _batched(listing, BATCH):
            rows = [_bt_row(tenant.pk, bt, payout_id) for bt in batch]
            newest = max(newest, max(bt.created for bt in batch))
            progress.step(label, seen=len(rows), new=_write_balance_transactions(rows))
        return newest
    in_flight: list[tuple[Future[int], int]] = []
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="finance-import") as writer:
        try:
            for batch in _batched(listing, BATCH):
                rows = [_bt_row(tenant.pk, bt, payout_id) for bt in batch]
                newest = max(newest, max(bt.created for bt in batch))
                in_flight.append((writer.submit(_write_balance_transactions, rows), len(rows)))
                while len(in_flight) >= 2:
                    done, seen = in_flight.pop(0)
                    progress.step(label, seen=seen, new=done.result())
            for done, seen in in_flight:
                progress.step(label, seen=seen, new=done.result())
        finally:
            # Resolved in the writer thread: its own connection, not this one.
            writer.submit(lambda: connection.close())
    return newest


def payout_items_import(
    *, tenant: Tenant, client: stripe.StripeClient, payout: Payout, progress: _Progress
) -> None:
    """A payout's balance transactions (its own one included), marked with the payout's id."""
    if not payout.automatic:
        return  # Stripe lists the items of automatic payouts only.
    listing = client.v1.balance_transactions.list(params={"payout": payout.stripe_id, "limit": PAGE})
    _import_transactions(
        tenant, listing.auto_paging_iter(), progress, f"payout {payout.stripe_id}", payout.stripe_id
    )
    if payout.stripe_reconciliation_status == "completed" or payout.status in FINAL_PAYOUT_STATUSES:
        Payout.objects.filter(pk=payout.pk).update(items_imported_at=timezone.now())


def application_fees_resolve(*, tenant: Tenant, client: stripe.StripeClient) -> int:
    """Point each application fee's balance transaction at the transfer of the destination charge
    it came from (application fee → its originating charge → the charge's transfer)."""
    resolved = 0
    pending = BalanceTransaction.objects.filter(tenant=tenant, type="application_fee", ledger_source="")
    for pk, fee_id in pending.values_list("pk", "source_id").iterator():
        fee = client.v1.application_fees.retrieve(fee_id)
        charge_ref = getattr(fee, "originating_transaction", None) or fee.charge
        charge_id = charge_ref if isinstance(charge_ref, str) else charge_ref.id
        found = client.v1.charges.retrieve(charge_id)
        transfer = getattr(found, "transfer", None)
        if transfer:
            transfer_id = transfer if isinstance(transfer, str) else transfer.id
            resolved += BalanceTransaction.objects.filter(pk=pk).update(ledger_source=transfer_id)
    return resolved


def _payouts_to_refresh(tenant: Tenant) -> list[Payout]:
    return list(
        Payout.objects.filter(tenant=tenant, items_imported_at__isnull=True).order_by("created", "id")
    )


def _catch_up_from(tenant: Tenant, state: ImportState, due: list[Payout]) -> int:
    if state.balance_created_cursor:
        return state.balance_created_cursor
    payouts = Payout.objects.filter(tenant=tenant)
    if payouts.filter(automatic=False).exists() or any(
        p.stripe_reconciliation_status != "completed" and p.status not in FINAL_PAYOUT_STATUSES for p in due
    ):
        return 0
    newest = payouts.aggregate(newest=Max("created"))["newest"]
    return max(0, int(newest.timestamp()) - COLD_START_WINDOW) if newest else 0


ClientFactory = Callable[[], stripe.StripeClient]


def stripe_import(
    *,
    tenant: Tenant,
    client: stripe.StripeClient,
    trigger: str = "manual",
    workers: int = 1,
    client_factory: ClientFactory | None = None,
) -> ImportRun:
    """Catch the tenant's copy up with Stripe: new and unfinished payouts with their items, then
    every balance transaction since the last one seen. Safe to run twice, at once too (rows are
    upserts; the cursor only moves forward).

    With `workers` > 1 (and a `client_factory` making a client per process), the payouts' items
    and the catch-up list are read by that many forked processes at once: reading is bound by the
    SDK building its objects (about a quarter of a millisecond each), which one process does
    on one core."""
    state, _ = ImportState.objects.get_or_create(tenant=tenant)
    run = ImportRun.objects.create(tenant=tenant, trigger=trigger, step="payouts", is_full=True)
    progress = _Progress(run)
    try:
        newest_payout = state.payout_created_cursor
        listing = client.v1.payouts.list(
            params={"created": {"gte": state.payout_created_cursor}, "limit": PAGE}
        )
        for po in listing.auto_paging_iter():
            _payout_upsert(tenant, po)
            newest_payout = max(newest_payout, po.created)
            progress.step("payouts", payouts=1)
        due: list[Payout] = []
        for payout in _payouts_to_refresh(tenant):
            if (
                payout.status not in FINAL_PAYOUT_STATUSES
                or payout.stripe_reconciliation_status != "completed"
            ):
                payout = _payout_upsert(tenant, client.v1.payouts.retrieve(payout.stripe_id))
            due.append(payout)
        catch_up = _catch_up_from(tenant, state, due)
        jobs: list[_Job] = [("payout", tenant.pk, run.pk, p.pk, 0) for p in due]
        jobs.append(("catch_up", tenant.pk, run.pk, 0, catch_up))
        if workers > 1 and client_factory is not None and not connection.in_atomic_block:
            newest = max(_run_in_processes(jobs, workers, client_factory))
        else:
            newest = max(_run_job(job, client) for job in jobs)
        application_fees_resolve(tenant=tenant, client=client)
        ImportState.objects.filter(pk=state.pk).update(
            balance_created_cursor=max(state.balance_created_cursor, newest),
            payout_created_cursor=newest_payout,
            updated_at=timezone.now(),
        )
    except stripe.StripeError as exc:
        _finish(run, ImportRunStatus.FAILED, error=str(exc.user_message or exc))
        raise ImportFailed(f"Stripe could not be read: {exc.user_message or exc}") from exc
    _finish(run, ImportRunStatus.DONE)
    return run


# (what, tenant id, run id, payout pk, catch-up start)
_Job = tuple[str, int, int, int, int]


def _run_job(job: _Job, client: stripe.StripeClient) -> int:
    """One payout's items (returns 0), or the catch-up list (returns the newest `created` seen)."""
    what, tenant_id, run_id, payout_pk, start = job
    tenant = Tenant.objects.get(pk=tenant_id)
    progress = _Progress(ImportRun.objects.get(pk=run_id))
    if what == "payout":
        payout = Payout.objects.get(pk=payout_pk, tenant=tenant)
        payout_items_import(tenant=tenant, client=client, payout=payout, progress=progress)
        return 0
    transactions = client.v1.balance_transactions.list(params={"created": {"gte": start}, "limit": PAGE})
    return _import_transactions(tenant, transactions.auto_paging_iter(), progress, "balance transactions")


_child_client: stripe.StripeClient | None = None


def _child_start(factory: ClientFactory) -> None:
    global _child_client
    _child_client = factory()


def _child_job(job: _Job) -> int:
    assert _child_client is not None  # noqa: S101 - set by _child_start
    return _run_job(job, _child_client)


def _run_in_processes(jobs: list[_Job], workers: int, factory: ClientFactory) -> list[int]:
    """Forked workers, each with its own database connection (the parent's are closed before the
    fork, so no socket is shared) and its own Stripe client; the largest jobs first."""
    connections.close_all()
    context = multiprocessing.get_context("fork")
    ordered = sorted(jobs, key=lambda job: job[0] != "catch_up")
    with context.Pool(workers, initializer=_child_start, initargs=(factory,)) as pool:
        return list(pool.imap_unordered(_child_job, ordered))


def _finish(run: ImportRun, status: str, *, error: str = "") -> None:
    run.refresh_from_db(fields=["transactions_seen", "transactions_new", "payouts_seen"])
    run.status = status
    run.error = error
    run.finished_at = timezone.now()
    run.step = "" if status == ImportRunStatus.DONE else run.step
    run.save(update_fields=["status", "error", "finished_at", "step"])


def payout_import(
    *, tenant: Tenant, client: stripe.StripeClient, payout_id: str, trigger: str = "event"
) -> ImportRun:
    """One payout as Stripe says it is now, and its items (what a `payout.*` event asks for)."""
    run = ImportRun.objects.create(tenant=tenant, trigger=trigger, step="payout")
    progress = _Progress(run)
    try:
        payout = _payout_upsert(tenant, client.v1.payouts.retrieve(payout_id))
        payout_items_import(tenant=tenant, client=client, payout=payout, progress=progress)
        application_fees_resolve(tenant=tenant, client=client)
    except stripe.StripeError as exc:
        _finish(run, ImportRunStatus.FAILED, error=str(exc.user_message or exc))
        raise ImportFailed(f"Stripe could not be read: {exc.user_message or exc}") from exc
    _finish(run, ImportRunStatus.DONE)
    return run

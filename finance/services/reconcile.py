"""Reconciling a tenant's imported Stripe balance transactions with its ledger, in SQL.

Rules (README "Finance"):
- Each balance transaction is looked up in the ledger by its source and the ledger kind its
  type records: charge/payment → `charge`, refund → `refund`, refund_failure → `refund_reversal`,
  transfer → `transfer`, transfer_refund → `transfer_reversal`, payout → `payout`,
  payout_failure → `payout_reversal`. Corrections count towards what they reverse.
- The ledger's figures for a source: amount = Σ processor_clearing + Σ unit_fees (the gross, with
  Stripe's sign), fee = Σ unit_fees. Stripe's amount ≠ the ledger's: `amount_mismatch`; else fee ≠:
  `fee_mismatch`; no ledger transaction: `missing_in_ledger`; a type the ledger does not record
  (application fees, adjustments…): `not_tracked`; else `matched`.
- A ledger transaction of those kinds with no balance transaction at Stripe, recorded before the
  last completed import began and not reversed to zero: `missing_at_stripe`.
- A payout ties out when its items were all imported, none has a problem, and both Σ net of its
  items at Stripe and Σ of the ledger's figures for them over units equal the payout's amount.

Every step is one statement over the tenant's rows (no per-row Python), so 200,000 rows take
seconds; running it again rewrites nothing that did not change.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from finance.models import (
    BalanceTransaction,
    ImportRun,
    ImportRunStatus,
    MatchState,
    Payout,
    PayoutTie,
    Problem,
    ProblemKind,
)
from finance.services.locks import RECONCILE, tenant_xact_lock
from ledger.models import Account, LedgerEntry, LedgerTransaction
from tenants.models import Tenant

logger = logging.getLogger(__name__)

# Stripe balance transaction type → the ledger transaction kind that records it.
TYPE_TO_KIND: dict[str, str] = {
    "charge": "charge",
    "payment": "charge",
    "refund": "refund",
    "payment_refund": "refund",
    "refund_failure": "refund_reversal",
    "payment_failure_refund": "refund_reversal",
    "transfer": "transfer",
    "transfer_refund": "transfer_reversal",
    "payout": "payout",
    "payout_failure": "payout_reversal",
    # A destination charge's application fee comes back to the platform; the ledger records the
    # charge's transfer net of it, so the fee is matched as part of that transfer (ledger_source).
    "application_fee": "transfer",
}
TRACKED_KINDS = sorted(set(TYPE_TO_KIND.values()))


@dataclass(frozen=True)
class ReconcileResult:
    transactions: int
    problems: dict[str, int]
    payouts_tied: int
    payouts_not_tied: int

    @property
    def problem_count(self) -> int:
        return sum(self.problems.values())


def _tables() -> dict[str, str]:
    return {
        "bt": BalanceTransaction._meta.db_table,
        "po": Payout._meta.db_table,
        "pr": Problem._meta.db_table,
        "le": LedgerEntry._meta.db_table,
        "lt": LedgerTransaction._meta.db_table,
        "la": Account._meta.db_table,
        "run": ImportRun._meta.db_table,
    }


def type_map_sql() -> str:
    """TYPE_TO_KIND as SQL VALUES rows: ('charge', 'charge'), …"""
    return ", ".join(f"('{t}', '{k}')" for t, k in TYPE_TO_KIND.items())


def _ledger_by_source(cursor: object, tenant_id: int) -> None:
    """fin_ledger: the ledger's figures per (kind, source_ref, currency) for this tenant."""
    t = _tables()
    kinds = ", ".join(f"'{k}'" for k in TRACKED_KINDS)
    cursor.execute(  # type: ignore[attr-defined]
        f"""
        CREATE TEMP TABLE fin_ledger ON COMMIT DROP AS
        SELECT base.kind, base.source_ref, base.currency,
               SUM(CASE WHEN a.kind = 'processor_clearing' THEN e.amount ELSE 0 END)::bigint AS clearing,
               SUM(CASE WHEN a.kind = 'unit_fees' THEN e.amount ELSE 0 END)::bigint AS fees,
               MIN(e.unit_id) AS unit_id,
               MIN(base.occurred_at) AS occurred_at,
               MIN(base.created_at) AS created_at
        FROM {t["le"]} e
        JOIN {t["la"]} a ON a.id = e.account_id
        JOIN {t["lt"]} tx ON tx.id = e.transaction_id
        JOIN {t["lt"]} base ON base.id = COALESCE(tx.reverses_id, tx.id)
        WHERE e.tenant_id = %s AND base.kind IN ({kinds})
        GROUP BY base.kind, base.source_ref, base.currency
        """,
        [tenant_id],
    )
    cursor.execute("CREATE INDEX ON fin_ledger (source_ref, kind)")  # type: ignore[attr-defined]
    cursor.execute("ANALYZE fin_ledger")  # type: ignore[attr-defined]


def _classify(cursor: object, tenant_id: int) -> None:
    """Stripe's side is summed per (kind, ledger source): usually one balance transaction, a
    transfer and its application fee together. Matched rows carry their own figures as the
    ledger's; in a mismatched group the ledger's figures sit on the row whose own source it is."""
    t = _tables()
    cursor.execute(  # type: ignore[attr-defined]
        f"""
        WITH keyed AS (
            SELECT b.id, b.amount, b.fee, b.currency, m.kind, b.ledger_source = '' AS is_primary,
                   COALESCE(NULLIF(b.ledger_source, ''), b.source_id) AS key
            FROM {t["bt"]} b
            LEFT JOIN (VALUES {type_map_sql()}) AS m(type, kind) ON m.type = b.type
            WHERE b.tenant_id = %s
        ), grouped AS (
            SELECT kind, key, currency, SUM(amount) AS amount, SUM(fee) AS fee
            FROM keyed WHERE kind IS NOT NULL GROUP BY kind, key, currency
        ), judged AS (
            SELECT k.id,
                   CASE WHEN k.kind IS NULL THEN '{MatchState.NOT_TRACKED}'
                        WHEN l.source_ref IS NULL THEN '{MatchState.MISSING_IN_LEDGER}'
                        WHEN l.clearing + l.fees <> g.amount THEN '{MatchState.AMOUNT_MISMATCH}'
                        WHEN l.fees <> g.fee THEN '{MatchState.FEE_MISMATCH}'
                        ELSE '{MatchState.MATCHED}' END AS state,
                   CASE WHEN l.source_ref IS NULL THEN NULL
                        WHEN l.clearing + l.fees = g.amount AND l.fees = g.fee THEN k.amount
                        WHEN k.is_primary THEN l.clearing + l.fees ELSE 0 END AS ledger_amount,
                   CASE WHEN l.source_ref IS NULL THEN NULL
                        WHEN l.clearing + l.fees = g.amount AND l.fees = g.fee THEN k.fee
                        WHEN k.is_primary THEN l.fees ELSE 0 END AS ledger_fee
            FROM keyed k
            LEFT JOIN grouped g ON g.kind = k.kind AND g.key = k.key AND g.currency = k.currency
            LEFT JOIN fin_ledger l ON l.source_ref = k.key AND l.kind = k.kind AND l.currency = k.currency
        )
        UPDATE {t["bt"]} b
        SET match = j.state, ledger_amount = j.ledger_amount, ledger_fee = j.ledger_fee
        FROM judged j
        WHERE b.id = j.id
          AND (b.match, b.ledger_amount, b.ledger_fee)
              IS DISTINCT FROM (j.state, j.ledger_amount, j.ledger_fee)
        """,
        [tenant_id],
    )


def _problems(cursor: object, tenant_id: int, cutoff: object) -> None:
    t = _tables()
    now = timezone.now()
    cursor.execute(f"DELETE FROM {t['pr']} WHERE tenant_id = %s", [tenant_id])  # type: ignore[attr-defined]
    states = ", ".join(
        f"'{s}'"
        for s in (
            MatchState.NOT_TRACKED,
            MatchState.MISSING_IN_LEDGER,
            MatchState.AMOUNT_MISMATCH,
            MatchState.FEE_MISMATCH,
        )
    )
    cursor.execute(  # type: ignore[attr-defined]
        f"""
        INSERT INTO {t["pr"]}
            (tenant_id, kind, currency, source_ref, balance_transaction_stripe_id, payout_stripe_id,
             ledger_kind, stripe_amount, stripe_fee, ledger_amount, ledger_fee, unit_id, occurred_at,
             found_at)
        SELECT b.tenant_id, b.match, b.currency, b.source_id, b.stripe_id, b.payout_stripe_id,
               COALESCE(m.kind, ''), b.amount, b.fee, b.ledger_amount, b.ledger_fee, l.unit_id, b.created, %s
        FROM {t["bt"]} b
        LEFT JOIN (VALUES {type_map_sql()}) AS m(type, kind) ON m.type = b.type
        LEFT JOIN fin_ledger l ON l.source_ref = COALESCE(NULLIF(b.ledger_source, ''), b.source_id)
              AND l.kind = m.kind AND l.currency = b.currency
        WHERE b.tenant_id = %s AND b.match IN ({states})
        """,
        [now, tenant_id],
    )
    if cutoff is not None:
        cursor.execute(  # type: ignore[attr-defined]
            f"""
            INSERT INTO {t["pr"]}
                (tenant_id, kind, currency, source_ref, balance_transaction_stripe_id, payout_stripe_id,
                 ledger_kind, stripe_amount, stripe_fee, ledger_amount, ledger_fee, unit_id, occurred_at,
                 found_at)
            SELECT %s, '{ProblemKind.MISSING_AT_STRIPE}', l.currency, l.source_ref, '', '', l.kind,
                   NULL, NULL, l.clearing + l.fees, l.fees, l.unit_id, l.occurred_at, %s
            FROM fin_ledger l
            WHERE l.created_at < %s
              AND NOT (l.clearing = 0 AND l.fees = 0)
              AND NOT EXISTS (
                  SELECT 1 FROM {t["bt"]} b
                  JOIN (VALUES {type_map_sql()}) AS m(type, kind) ON m.type = b.type
                  WHERE b.tenant_id = %s AND b.source_id = l.source_ref AND m.kind = l.kind
              )
            """,
            [tenant_id, now, cutoff, tenant_id],
        )


def _payouts(cursor: object, tenant_id: int) -> None:
    """Each payout's counts, sums and whether it ties out; a PAYOUT_NOT_TIED problem where its
    items look fine but the sums do not meet."""
    t = _tables()
    now = timezone.now()
    cursor.execute(  # type: ignore[attr-defined]
        f"""
        WITH figures AS (
            SELECT p.id,
                   COUNT(b.id) FILTER (WHERE b.type <> 'payout') AS items,
                   COALESCE(SUM(b.net) FILTER (WHERE b.type <> 'payout'), 0) AS items_net,
                   COALESCE(SUM(b.ledger_amount - b.ledger_fee) FILTER (WHERE b.type <> 'payout'), 0)
                       AS ledger_net,
                   COUNT(b.id) FILTER (
                       WHERE b.match NOT IN ('{MatchState.MATCHED}', '{MatchState.UNCHECKED}')
                   ) AS problems
            FROM {t["po"]} p
            LEFT JOIN {t["bt"]} b ON b.tenant_id = p.tenant_id AND b.payout_stripe_id = p.stripe_id
            WHERE p.tenant_id = %s
            GROUP BY p.id
        ), judged AS (
            SELECT f.*, CASE
                WHEN p.items_imported_at IS NULL THEN '{PayoutTie.PENDING}'
                WHEN f.problems = 0 AND f.items_net = p.amount AND f.ledger_net = p.amount
                     THEN '{PayoutTie.TIED}'
                ELSE '{PayoutTie.NOT_TIED}' END AS tie
            FROM figures f JOIN {t["po"]} p ON p.id = f.id
        )
        UPDATE {t["po"]} p
        SET items_count = j.items, items_net = j.items_net, ledger_net = j.ledger_net,
            problem_count = j.problems, tie = j.tie, reconciled_at = %s
        FROM judged j WHERE p.id = j.id
        """,
        [tenant_id, now],
    )
    cursor.execute(  # type: ignore[attr-defined]
        f"""
        INSERT INTO {t["pr"]}
            (tenant_id, kind, currency, source_ref, balance_transaction_stripe_id, payout_stripe_id,
             ledger_kind, stripe_amount, stripe_fee, ledger_amount, ledger_fee, unit_id, occurred_at,
             found_at)
        SELECT p.tenant_id, '{ProblemKind.PAYOUT_NOT_TIED}', p.currency, p.stripe_id, '', p.stripe_id,
               'payout', p.amount, NULL, p.ledger_net, NULL, NULL, p.created, %s
        FROM {t["po"]} p
        WHERE p.tenant_id = %s AND p.tie = '{PayoutTie.NOT_TIED}' AND p.problem_count = 0
        """,
        [now, tenant_id],
    )


def _cutoff(tenant: Tenant) -> object:
    run = (
        ImportRun.objects.filter(tenant=tenant, status=ImportRunStatus.DONE, is_full=True)
        .order_by("-started_at")
        .values_list("started_at", flat=True)
        .first()
    )
    return run


def reconcile(*, tenant: Tenant) -> ReconcileResult:
    """Classify every imported balance transaction of the tenant, list the problems, judge every
    payout. One transaction: the pages never see half a reconciliation. One at a time per tenant
    (an advisory lock): two at once would each delete the problems, then each insert its own."""
    cutoff = _cutoff(tenant)
    with transaction.atomic(), connection.cursor() as cursor:
        tenant_xact_lock(RECONCILE, tenant.pk)
        _ledger_by_source(cursor, tenant.pk)
        _classify(cursor, tenant.pk)
        _problems(cursor, tenant.pk, cutoff)
        _payouts(cursor, tenant.pk)
        cursor.execute("DROP TABLE fin_ledger")
    counts: dict[str, int] = {}
    for kind, n in (
        Problem.objects.filter(tenant=tenant)
        .values_list("kind")
        .annotate(n=Count("id"))
        .values_list("kind", "n")
    ):
        counts[kind] = n
    tied = Payout.objects.filter(tenant=tenant, tie=PayoutTie.TIED).count()
    not_tied = Payout.objects.filter(tenant=tenant, tie=PayoutTie.NOT_TIED).count()
    total = BalanceTransaction.objects.filter(tenant=tenant).count()
    logger.info("finance reconcile tenant=%s: %s transactions, problems %s", tenant.pk, total, counts)
    return ReconcileResult(transactions=total, problems=counts, payouts_tied=tied, payouts_not_tied=not_tied)

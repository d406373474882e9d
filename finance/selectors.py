"""Reads for finance's pages, API and exports. Every one takes the tenant and the person's scope.

Who sees what: the finance role only (every unit, or chosen units) sees payouts, problems and
statements, and tenant-wide finance the journals; finance of chosen units sees only their units'
items and problems; unit admins see their own units' statements, and tenant admins (who manage
every unit) every unit's statement. Anything else is NotVisible (a 404).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import QuerySet, Sum
from django.db.models.functions import TruncMonth

from finance.errors import FinanceNotVisible
from finance.models import BalanceTransaction, ImportRun, JournalExport, Payout, Problem, ProblemKind
from finance.origins import NO_ORIGIN, Origin, origins_of
from finance.services.reconcile import type_map_sql
from ledger.models import Account, LedgerEntry, LedgerTransaction
from ledger.selectors import UnitFigures, unit_figures
from tenants.models import StaffMembership, StaffRole, Tenant, Unit
from tenants.selectors import StaffAccess

# --- Scope -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FinanceScope:
    """`finance_units`: units whose money the person reads (None: every unit; empty: none, so
    no payouts either). `statement_units`: units whose statements they read (adds a unit
    admin's own units)."""

    tenant_id: int
    finance_units: frozenset[int] | None
    statement_units: frozenset[int] | None

    @property
    def sees_payouts(self) -> bool:
        return self.finance_units is None or bool(self.finance_units)

    @property
    def tenant_wide(self) -> bool:
        return self.finance_units is None

    @property
    def sees_statements(self) -> bool:
        return self.statement_units is None or bool(self.statement_units)

    def reaches(self, unit_id: int | None) -> bool:
        if self.finance_units is None:
            return True
        return unit_id is not None and unit_id in self.finance_units


NONE: frozenset[int] = frozenset()


def finance_scope(*, tenant: Tenant, access: StaffAccess, user_id: int | None = None) -> FinanceScope:
    """From the person's StaffAccess. A person who is both finance and a unit admin reads money
    only of their finance units (their membership says which), statements of both."""
    if access.tenant_id != tenant.pk:
        return FinanceScope(tenant.pk, NONE, NONE)
    if access.is_tenant_admin and not access.is_finance:
        # Money pages are the finance role's (issue 8); a tenant admin manages every unit, so
        # reads every unit's statement, as a unit admin reads their own.
        return FinanceScope(tenant.pk, NONE, None)
    finance: frozenset[int] | None = NONE
    if access.is_finance:
        finance = access.unit_ids
        if StaffRole.UNIT_ADMIN in access.roles and user_id is not None:
            membership = (
                StaffMembership.objects.filter(tenant=tenant, user_id=user_id, role=StaffRole.FINANCE)
                .prefetch_related("units")
                .first()
            )
            if membership is not None:
                finance = None if membership.all_units else frozenset(u.pk for u in membership.units.all())
    managed = access.managed_unit_ids or NONE
    if finance is None:
        statements: frozenset[int] | None = None
    else:
        statements = finance | managed
    return FinanceScope(tenant.pk, finance, statements)


def _require_payouts(scope: FinanceScope) -> None:
    if not scope.sees_payouts:
        raise FinanceNotVisible("No such page.")


def scope_units(*, tenant: Tenant, scope: FinanceScope, statements: bool = False) -> QuerySet[Unit]:
    allowed = scope.statement_units if statements else scope.finance_units
    units = Unit.objects.filter(tenant=tenant).order_by("name")
    return units if allowed is None else units.filter(pk__in=allowed)


# --- Dates -----------------------------------------------------------------------------------


def day_start(tenant: Tenant, day: date) -> datetime:
    """Midnight at the start of `day` in the tenant's time zone (an aware datetime)."""
    return datetime.combine(day, time.min, tzinfo=_tz(tenant))


def day_bounds(
    tenant: Tenant, start: date | None, end: date | None
) -> tuple[datetime | None, datetime | None]:
    """Days in the tenant's time zone, `end` inclusive → the half-open [low, high) of aware
    datetimes (either None when its day is). Filter with `__gte=low, __lt=high`."""
    low = day_start(tenant, start) if start else None
    high = day_start(tenant, end + timedelta(days=1)) if end else None
    return low, high


# --- Payouts ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PayoutFilters:
    start: date | None = None
    end: date | None = None
    status: str = ""
    tie: str = ""


def payouts(*, tenant: Tenant, scope: FinanceScope, filters: PayoutFilters | None = None) -> QuerySet[Payout]:
    _require_payouts(scope)
    found = Payout.objects.filter(tenant=tenant)
    f = filters or PayoutFilters()
    low, high = day_bounds(tenant, f.start, f.end)
    if low:
        found = found.filter(created__gte=low)
    if high:
        found = found.filter(created__lt=high)
    if f.status:
        found = found.filter(status=f.status)
    if f.tie:
        found = found.filter(tie=f.tie)
    return found.order_by("-created", "-id")


def payout(*, tenant: Tenant, scope: FinanceScope, stripe_id: str) -> Payout:
    _require_payouts(scope)
    found = Payout.objects.filter(tenant=tenant, stripe_id=stripe_id).first()
    if found is None:
        raise FinanceNotVisible("No such payout.")
    return found


@dataclass
class PayoutItem:
    stripe_id: str
    type: str
    source_id: str
    created: datetime
    match: str
    stripe_amount: int
    stripe_fee: int
    stripe_net: int
    gross: int  # the ledger's figures for this unit's part of the item
    refunds: int
    fees: int
    settled: int
    net: int
    unit_id: int | None = None  # the unit whose part this is (None: not in the ledger)
    order_ref: str = ""  # the order the ledger recorded it for
    origin: Origin = NO_ORIGIN  # who bought what (finance.origins)


@dataclass
class UnitGroup:
    unit: Unit | None
    items: list[PayoutItem] = field(default_factory=list)
    gross: int = 0
    refunds: int = 0
    fees: int = 0
    settled: int = 0
    net: int = 0


@dataclass
class PayoutBreakdown:
    payout: Payout
    groups: list[UnitGroup]
    hidden_units: int  # groups of units the person may not see (finance of chosen units)
    ledger_total: int  # Σ net over every unit (seen or not): ties out when = payout.amount
    stripe_total: int

    @property
    def ties_out(self) -> bool:
        """The sums alone: the ledger's and Stripe's both equal the payout's amount."""
        return self.ledger_total == self.payout.amount == self.stripe_total

    @property
    def tied(self) -> bool:
        """What the page and the API call tying out: the sums meet and none of its items has a
        problem."""
        return self.ties_out and not self.payout.problem_count


def payout_breakdown(*, tenant: Tenant, scope: FinanceScope, stripe_id: str) -> PayoutBreakdown:
    """The payout's items, each split by unit as the ledger recorded it (an order with lines of two
    units is under both), grouped by unit. Items the ledger lacks are under no unit."""
    found = payout(tenant=tenant, scope=scope, stripe_id=stripe_id)
    bt, lt, le, la = (
        BalanceTransaction._meta.db_table,
        LedgerTransaction._meta.db_table,
        LedgerEntry._meta.db_table,
        Account._meta.db_table,
    )
    sql = f"""
        SELECT b.stripe_id, b.type, b.source_id, b.created, b.match, b.amount, b.fee, b.net,
               e.unit_id,
               COALESCE(SUM(CASE WHEN a.kind = 'unit_revenue' THEN -e.amount END), 0),
               COALESCE(SUM(CASE WHEN a.kind = 'unit_refunds' THEN e.amount END), 0),
               COALESCE(SUM(CASE WHEN a.kind = 'unit_fees' THEN e.amount END), 0),
               COALESCE(SUM(CASE WHEN a.kind = 'unit_settled' THEN e.amount END), 0),
               COALESCE(SUM(CASE WHEN a.kind <> 'processor_clearing' THEN -e.amount END), 0),
               COALESCE(MAX(base.order_ref), '')
        FROM {bt} b
        LEFT JOIN (VALUES {type_map_sql()}) AS m(type, kind) ON m.type = b.type
        LEFT JOIN {lt} base
               ON base.tenant_id = b.tenant_id AND base.kind = m.kind AND base.source_ref = b.source_id
              AND b.ledger_source = ''
        LEFT JOIN {lt} tx ON tx.id = base.id OR tx.reverses_id = base.id
        LEFT JOIN ({le} e JOIN {la} a ON a.id = e.account_id AND a.kind <> 'processor_clearing')
               ON e.transaction_id = tx.id
        WHERE b.tenant_id = %s AND b.payout_stripe_id = %s AND b.type <> 'payout'
        GROUP BY b.id, e.unit_id
        ORDER BY b.created, b.id, e.unit_id
    """  # noqa: S608 - our own table names
    with connection.cursor() as cursor:
        cursor.execute(sql, [tenant.pk, stripe_id])
        rows = cursor.fetchall()
    units = {u.pk: u for u in Unit.objects.filter(tenant=tenant)}
    groups: dict[int | None, UnitGroup] = {}
    ledger_total = 0
    stripe_seen: dict[str, int] = {}
    for r in rows:
        item = PayoutItem(*r[:8], *r[9:14])
        item.unit_id, item.order_ref = r[8], r[14]
        unit_id = item.unit_id
        ledger_total += item.net
        stripe_seen[item.stripe_id] = item.stripe_net
        if not scope.reaches(unit_id):
            groups.setdefault(-1, UnitGroup(unit=None))
            continue
        group = groups.setdefault(unit_id, UnitGroup(unit=units.get(unit_id) if unit_id else None))
        group.items.append(item)
        for name in ("gross", "refunds", "fees", "settled", "net"):
            setattr(group, name, getattr(group, name) + getattr(item, name))
    hidden = 1 if -1 in groups else 0
    groups.pop(-1, None)
    origins_of(tenant=tenant, lines=[i for g in groups.values() for i in g.items])
    ordered = sorted(groups.values(), key=lambda g: (g.unit is None, g.unit.name if g.unit else ""))
    return PayoutBreakdown(
        payout=found,
        groups=ordered,
        hidden_units=hidden,
        ledger_total=ledger_total,
        stripe_total=sum(stripe_seen.values()),
    )


def last_import(*, tenant: Tenant) -> ImportRun | None:
    return ImportRun.objects.filter(tenant=tenant).order_by("-started_at").first()


# --- Problems --------------------------------------------------------------------------------

WHAT_TO_DO: dict[str, str] = {
    ProblemKind.MISSING_IN_LEDGER: (
        "Stripe moved money the ledger never recorded. Find the order (the source id is on the "
        "charge or refund in Stripe) and post it; if the webhook was missed, replay the event."
    ),
    ProblemKind.MISSING_AT_STRIPE: (
        "The ledger records money Stripe has no trace of. Check the source id in Stripe; if it "
        "never happened, post a correction reversing the ledger transaction."
    ),
    ProblemKind.AMOUNT_MISMATCH: (
        "The ledger and Stripe disagree on the gross amount. Compare the order with the Stripe "
        "object and post a correction for the difference."
    ),
    ProblemKind.FEE_MISMATCH: (
        "The fee the ledger split among units differs from Stripe's fee. Post a correction so the "
        "units' fees add up to Stripe's."
    ),
    ProblemKind.NOT_TRACKED: (
        "A kind of balance transaction the ledger does not record (an adjustment, an application "
        "fee…). Record it by hand with a correction, or ask whether it belongs here."
    ),
    ProblemKind.PAYOUT_NOT_TIED: (
        "Every item matches but the sums do not meet the payout: import again (items may be "
        "missing); if it persists, compare the payout's items in Stripe."
    ),
}


@dataclass(frozen=True)
class ProblemFilters:
    kind: str = ""
    unit_id: int | None = None
    start: date | None = None
    end: date | None = None
    payout: str = ""


def problems(
    *, tenant: Tenant, scope: FinanceScope, filters: ProblemFilters | None = None
) -> QuerySet[Problem]:
    _require_payouts(scope)
    found = Problem.objects.filter(tenant=tenant).select_related("unit")
    if scope.finance_units is not None:
        found = found.filter(unit_id__in=scope.finance_units)
    f = filters or ProblemFilters()
    if f.kind:
        found = found.filter(kind=f.kind)
    if f.unit_id:
        found = found.filter(unit_id=f.unit_id)
    low, high = day_bounds(tenant, f.start, f.end)
    if low:
        found = found.filter(occurred_at__gte=low)
    if high:
        found = found.filter(occurred_at__lt=high)
    if f.payout:
        found = found.filter(payout_stripe_id=f.payout)
    return found.order_by("kind", "occurred_at", "id")


# --- Statements ------------------------------------------------------------------------------


@dataclass(frozen=True)
class StatementRow:
    unit: Unit
    figures: UnitFigures


def statements(
    *,
    tenant: Tenant,
    scope: FinanceScope,
    start: datetime | None,
    end: datetime | None,
    unit_ids: list[int] | None = None,
    currency: str | None = None,
) -> list[StatementRow]:
    if not scope.sees_statements:
        raise FinanceNotVisible("No such page.")
    allowed = scope.statement_units
    chosen: set[int] | None = set(unit_ids) if unit_ids else None
    if allowed is not None:
        chosen = (chosen & set(allowed)) if chosen is not None else set(allowed)
    figures = unit_figures(tenant=tenant, start=start, end=end, unit_ids=chosen, currency=currency)
    units = {u.pk: u for u in Unit.objects.filter(tenant=tenant)}
    rows = [StatementRow(units[f.unit_id], f) for f in figures if f.unit_id in units]
    return sorted(rows, key=lambda r: (r.unit.name, r.figures.currency))


@dataclass(frozen=True)
class MonthNet:
    month: date
    unit_id: int
    currency: str
    net: int


def monthly_net(
    *,
    tenant: Tenant,
    scope: FinanceScope,
    start: datetime | None,
    end: datetime | None,
    unit_ids: list[int] | None = None,
) -> list[MonthNet]:
    """Net (gross − discounts − refunds − fees) per unit per month in the tenant's time zone."""
    if not scope.sees_statements:
        raise FinanceNotVisible("No such page.")
    entries = LedgerEntry.objects.filter(
        tenant=tenant,
        unit__isnull=False,
        account__kind__in=["unit_revenue", "unit_discounts", "unit_refunds", "unit_fees"],
    )
    if start:
        entries = entries.filter(occurred_at__gte=start)
    if end:
        entries = entries.filter(occurred_at__lt=end)
    allowed = scope.statement_units
    if allowed is not None:
        entries = entries.filter(unit_id__in=allowed)
    if unit_ids:
        entries = entries.filter(unit_id__in=unit_ids)
    rows: Any = (
        entries.annotate(month=TruncMonth("occurred_at", tzinfo=_tz(tenant)))
        .values("month", "unit_id", "currency")
        .annotate(total=Sum("amount"))
        .order_by("month", "unit_id")
    )
    return [MonthNet(r["month"].date(), r["unit_id"], r["currency"], -int(r["total"])) for r in rows]


def _tz(tenant: Tenant) -> ZoneInfo:
    return ZoneInfo(tenant.time_zone)


# --- Journal exports -------------------------------------------------------------------------


def journal_exports(*, tenant: Tenant, scope: FinanceScope) -> QuerySet[JournalExport]:
    if not scope.tenant_wide:
        raise FinanceNotVisible("No such page.")
    return JournalExport.objects.filter(tenant=tenant).select_related("created_by").order_by("-created_at")


def journal_export(*, tenant: Tenant, scope: FinanceScope, pk: int) -> JournalExport:
    found = journal_exports(tenant=tenant, scope=scope).filter(pk=pk).first()
    if found is None:
        raise FinanceNotVisible("No such export.")
    return found


@dataclass(frozen=True)
class JournalLine:
    entry_id: int
    occurred_at: datetime
    transaction_kind: str
    source_ref: str
    account: str
    unit_slug: str
    gl_code: str
    debit: int
    credit: int
    currency: str
    memo: str


def journal_entries(*, tenant: Tenant, export: JournalExport) -> QuerySet[LedgerEntry]:
    """The ledger entries an export took, in posting order."""
    return (
        LedgerEntry.objects.filter(tenant=tenant, pk__in=export.entries.values("entry_id"))
        .select_related("transaction", "account", "unit")
        .order_by("transaction_id", "id")
    )


def journal_line(e: LedgerEntry) -> JournalLine:
    return JournalLine(
        entry_id=e.pk,
        occurred_at=e.occurred_at,
        transaction_kind=e.transaction.kind,
        source_ref=e.transaction.source_ref,
        account=e.account.kind,
        unit_slug=e.unit.slug if e.unit else "",
        gl_code=e.unit.gl_code if e.unit else "",
        debit=e.amount if e.amount > 0 else 0,
        credit=-e.amount if e.amount < 0 else 0,
        currency=e.currency,
        memo=e.transaction.memo,
    )


def journal_lines(*, tenant: Tenant, export: JournalExport) -> Iterator[JournalLine]:
    """The export's lines in posting order, streamed."""
    for e in journal_entries(tenant=tenant, export=export).iterator(chunk_size=2000):
        yield journal_line(e)


__all__ = [
    "WHAT_TO_DO",
    "FinanceScope",
    "PayoutBreakdown",
    "PayoutFilters",
    "ProblemFilters",
    "day_bounds",
    "day_start",
    "finance_scope",
    "journal_exports",
    "journal_lines",
    "monthly_net",
    "payout_breakdown",
    "payouts",
    "problems",
    "statements",
]

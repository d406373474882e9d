"""A month of activity reconciles with zero problems; each injected discrepancy is classified."""

from __future__ import annotations

import pytest

from finance.models import BalanceTransaction, MatchState, Payout, PayoutTie, Problem, ProblemKind
from finance.selectors import finance_scope, payout_breakdown
from finance.services.imports import stripe_import
from finance.services.payout_posting import payouts_post
from finance.services.reconcile import reconcile
from ledger.models import TransactionKind
from ledger.services import ChargeLine, ledger_post, refund_lines
from tenants.models import SettlementKind
from tenants.selectors import staff_access
from tests.finance.activity import at, charge, month_of_activity, refund

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def connect_unit(world):
    unit = world.a_unit2.__class__.objects.create(
        tenant=world.a,
        slug="nursing",
        name="Alpha Nursing",
        gl_code="4100-NUR",
        settlement_kind=SettlementKind.STRIPE_CONNECT,
        stripe_account_id="acct_1NursingUnit01",
    )
    return unit


def sync(world, sdk):
    stripe_import(tenant=world.a, client=sdk, trigger="test")
    payouts_post(tenant=world.a)
    return reconcile(tenant=world.a)


def test_a_month_reconciles_with_zero_problems_and_units_sum_to_payouts(world, sdk, control, connect_unit):
    month = month_of_activity(world.a, sdk, control, world.a_unit1, world.a_unit2, connect_unit)

    result = sync(world, sdk)

    assert result.problems == {}
    payouts = list(Payout.objects.filter(tenant=world.a).order_by("created"))
    assert [p.stripe_id for p in payouts] == month.payouts
    assert {p.tie for p in payouts} == {PayoutTie.TIED}
    assert set(BalanceTransaction.objects.filter(tenant=world.a).values_list("match", flat=True)) == {
        MatchState.MATCHED
    }
    types = set(BalanceTransaction.objects.filter(tenant=world.a).values_list("type", flat=True))
    assert types == {"charge", "refund", "refund_failure", "transfer", "payout"}
    scope = finance_scope(tenant=world.a, access=staff_access(tenant=world.a, user=world.a_finance_all))
    for payout in payouts:
        breakdown = payout_breakdown(tenant=world.a, scope=scope, stripe_id=payout.stripe_id)
        assert sum(group.net for group in breakdown.groups) == payout.amount
        assert breakdown.ties_out
        for group in breakdown.groups:
            assert group.net == group.gross - group.refunds - group.fees - group.settled
    # Every unit took part; the Connect unit's transfer is in its group as money settled.
    first = payout_breakdown(tenant=world.a, scope=scope, stripe_id=payouts[1].stripe_id)
    units = {g.unit.slug for g in first.groups if g.unit}
    assert units == {"continuing-ed", "business", "nursing"}
    nursing = next(g for g in first.groups if g.unit and g.unit.slug == "nursing")
    assert nursing.settled == 30_000


def test_reconciling_again_changes_nothing(world, sdk, control, connect_unit):
    month_of_activity(world.a, sdk, control, world.a_unit1, world.a_unit2, connect_unit)
    sync(world, sdk)
    before = list(
        BalanceTransaction.objects.filter(tenant=world.a).values_list("stripe_id", "match").order_by("id")
    )

    result = sync(world, sdk)

    assert result.problems == {}
    assert (
        list(
            BalanceTransaction.objects.filter(tenant=world.a).values_list("stripe_id", "match").order_by("id")
        )
        == before
    )


def test_each_injected_discrepancy_is_classified(world, sdk, control):
    u1, u2 = world.a_unit1, world.a_unit2
    good = charge(world.a, sdk, [ChargeLine(u1.pk, 10_000, "line:1")])
    unposted = charge(world.a, sdk, [ChargeLine(u1.pk, 7_000, "line:2")], post=False)
    fee_off = charge(world.a, sdk, [ChargeLine(u2.pk, 5_000, "line:3")], fee_delta=1)
    unseen_refund = refund(world.a, sdk, good, u1, 1_500, post=False)
    # The ledger has a refund Stripe never made, and a charge posted with the wrong amount.
    ledger_post(
        tenant=world.a,
        kind=TransactionKind.REFUND,
        source_ref="re_neverAtStripe",
        currency="USD",
        lines=refund_lines(unit_id=u2.pk, amount=800),
        occurred_at=at(control.now()),
    )
    wrong = charge(world.a, sdk, [ChargeLine(u2.pk, 3_000, "line:4")], post=False)
    from ledger.services import charge_lines

    ledger_post(
        tenant=world.a,
        kind=TransactionKind.CHARGE,
        source_ref=wrong,
        currency="USD",
        lines=charge_lines(lines=[ChargeLine(u2.pk, 3_100, "line:4")], fee=117),
        occurred_at=at(control.now()),
    )
    control.advance_clock(2 * 86_400 + 1)
    payout_id = control.trigger_payout("usd")["id"]
    control.advance_clock(86_401)

    result = sync(world, sdk)

    found = {(p.kind, p.source_ref) for p in Problem.objects.filter(tenant=world.a)}
    assert found == {
        (ProblemKind.MISSING_IN_LEDGER, unposted),
        (ProblemKind.FEE_MISMATCH, fee_off),
        (ProblemKind.MISSING_IN_LEDGER, unseen_refund),
        (ProblemKind.MISSING_AT_STRIPE, "re_neverAtStripe"),
        (ProblemKind.AMOUNT_MISMATCH, wrong),
    }
    assert result.problem_count == 5
    fee = Problem.objects.get(tenant=world.a, kind=ProblemKind.FEE_MISMATCH)
    assert (fee.stripe_fee, fee.ledger_fee, fee.unit_id, fee.payout_stripe_id) == (175, 176, u2.pk, payout_id)
    assert BalanceTransaction.objects.get(tenant=world.a, source_id=good).match == MatchState.MATCHED
    payout = Payout.objects.get(tenant=world.a, stripe_id=payout_id)
    assert (payout.tie, payout.problem_count) == (PayoutTie.NOT_TIED, 4)


def test_a_destination_charge_with_an_application_fee_matches_its_transfer(world, sdk, control, connect_unit):
    """Stripe: the charge, a transfer of the whole amount to the unit's account, the application
    fee back; the ledger (as payments posts it): the charge, and a transfer net of the fee."""
    from ledger.services import charge_lines, transfer_lines

    intent = sdk.v1.payment_intents.create(
        params={
            "amount": 20_000,
            "currency": "usd",
            "payment_method": "pm_card_visa",
            "confirm": True,
            "application_fee_amount": 610,
            "transfer_data": {"destination": connect_unit.stripe_account_id},
        }
    )
    made = sdk.v1.charges.retrieve(str(intent.latest_charge))
    fee = sdk.v1.balance_transactions.list(params={"source": made.id}).data[0].fee
    ledger_post(
        tenant=world.a,
        kind=TransactionKind.CHARGE,
        source_ref=made.id,
        currency="USD",
        lines=charge_lines(lines=[ChargeLine(connect_unit.pk, 20_000, "line:1")], fee=fee),
        occurred_at=at(made.created),
    )
    ledger_post(
        tenant=world.a,
        kind=TransactionKind.TRANSFER,
        source_ref=str(made.transfer),
        currency="USD",
        lines=[*transfer_lines(unit_id=connect_unit.pk, amount=20_000 - 610)],
        occurred_at=at(made.created),
    )
    charge(world.a, sdk, [ChargeLine(world.a_unit1.pk, 5_000, "line:2")])
    control.advance_clock(2 * 86_400 + 1)
    payout_id = control.trigger_payout("usd")["id"]
    control.advance_clock(86_401)

    result = sync(world, sdk)

    assert result.problems == {}
    types = set(BalanceTransaction.objects.filter(tenant=world.a).values_list("type", flat=True))
    assert {"application_fee", "transfer", "charge"} <= types
    payout = Payout.objects.get(tenant=world.a, stripe_id=payout_id)
    assert payout.tie == PayoutTie.TIED
    scope = finance_scope(tenant=world.a, access=staff_access(tenant=world.a, user=world.a_finance_all))
    breakdown = payout_breakdown(tenant=world.a, scope=scope, stripe_id=payout_id)
    assert sum(g.net for g in breakdown.groups) == payout.amount
    nursing = next(g for g in breakdown.groups if g.unit and g.unit.slug == "nursing")
    assert (nursing.gross, nursing.settled) == (20_000, 20_000 - 610)

"""A payout's breakdown says whether it ties out: the sums meet and no item has a problem."""

from __future__ import annotations

import pytest

from finance.models import Payout
from finance.selectors import PayoutBreakdown


@pytest.mark.parametrize(
    ("ledger", "stripe", "problems", "tied"),
    [
        (1_000, 1_000, 0, True),
        (1_000, 1_000, 2, False),  # the sums meet, but an item has a problem
        (900, 1_000, 0, False),
        (1_000, 900, 0, False),
    ],
)
def test_tied_needs_the_sums_to_meet_and_no_problem(ledger, stripe, problems, tied):
    payout = Payout(amount=1_000, problem_count=problems)
    breakdown = PayoutBreakdown(
        payout=payout, groups=[], hidden_units=0, ledger_total=ledger, stripe_total=stripe
    )
    assert breakdown.tied is tied
    assert breakdown.ties_out is (ledger == stripe == 1_000)

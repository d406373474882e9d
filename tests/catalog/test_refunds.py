from datetime import UTC, datetime, timedelta

import pytest

from catalog.refunds import PolicyTerms, Tier, policy_in_words, refund_due_minor, refund_percent
from catalog.services import check_tiers

START = datetime(2026, 3, 2, 18, 0, tzinfo=UTC)


def terms(*tiers, fee=0, currency="USD", frees_seat=True):
    return PolicyTerms(tuple(Tier(d, p) for d, p in tiers), fee, currency, frees_seat)


def test_tiered_policy_in_plain_words():
    words = policy_in_words(terms((14, 100), (3, 50), fee=2500))

    assert words == [
        "A full refund if you cancel at least 14 days before the start.",
        "50% back if you cancel later, but at least 3 days before the start.",
        "No refund if you cancel less than 3 days before the start.",
        "A cancellation fee of $25.00 is kept from any refund.",
        "When you cancel, your seat goes to the next person waiting.",
    ]


def test_refund_until_the_start_and_a_kept_seat_in_plain_words():
    words = policy_in_words(terms((0, 100), frees_seat=False))

    assert words == [
        "A full refund if you cancel any time before the start.",
        "No refund once the course has started.",
        "When you cancel, your seat is not passed on to anyone else.",
    ]


def test_single_day_and_no_refund_policies_in_plain_words():
    assert policy_in_words(terms((1, 80)))[:2] == [
        "80% back if you cancel at least 1 day before the start.",
        "No refund if you cancel less than 1 day before the start.",
    ]
    assert policy_in_words(terms(fee=1000))[0] == "No refund if you cancel."
    assert "fee" not in " ".join(policy_in_words(terms(fee=1000)))  # nothing to keep a fee from


def test_a_fee_in_yen_is_shown_without_decimals():
    assert "A cancellation fee of ¥1,500 is kept from any refund." in policy_in_words(
        terms((7, 100), fee=1500, currency="JPY")
    )


@pytest.mark.parametrize(
    ("cancelled", "percent", "due"),
    [
        (START - timedelta(days=20), 100, 125000 - 2500),
        (START - timedelta(days=14), 100, 125000 - 2500),  # exactly 14 days before: still full
        (START - timedelta(days=13, hours=23), 50, 62500 - 2500),
        (START - timedelta(days=3), 50, 62500 - 2500),
        (START - timedelta(days=2, hours=23), 0, 0),
        (START + timedelta(hours=1), 0, 0),
    ],
)
def test_what_a_cancellation_gives_back(cancelled, percent, due):
    policy = terms((14, 100), (3, 50), fee=2500)

    assert refund_percent(policy, starts_at=START, at=cancelled) == percent
    assert refund_due_minor(policy, paid_minor=125000, starts_at=START, at=cancelled) == due


def test_the_fee_never_makes_a_refund_negative():
    policy = terms((14, 10), fee=2500)

    assert refund_due_minor(policy, paid_minor=10000, starts_at=START, at=START - timedelta(days=30)) == 0


@pytest.mark.parametrize(
    ("tiers", "problem"),
    [
        ([Tier(14, 100), Tier(14, 50)], "Each tier needs a different number of days."),
        ([Tier(14, 50), Tier(3, 100)], "Cancelling later cannot refund more than cancelling earlier."),
        ([Tier(14, 0)], "A tier refunds between 1 and 100 percent."),
    ],
)
def test_inconsistent_tiers_are_refused(tiers, problem):
    assert problem in check_tiers(tiers)


def test_sensible_tiers_pass():
    assert check_tiers([Tier(3, 50), Tier(14, 100)]) == []

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from catalog.models import RefundTier
from catalog.refunds import (
    PolicyTerms,
    Tier,
    policy_in_words,
    policy_in_words_for_snapshot,
    policy_snapshot,
    refund_due_minor,
    refund_percent,
    refund_quote,
    terms_snapshot,
    tier_deadline,
)
from catalog.services import check_tiers
from tests.catalog.factories import OfferingFactory, RefundPolicyFactory

START = datetime(2026, 3, 2, 18, 0, tzinfo=UTC)
LA = ZoneInfo("America/Los_Angeles")
AUCKLAND = ZoneInfo("Pacific/Auckland")
US = timedelta(microseconds=1)


def terms(*tiers, fee=0, currency="USD", frees_seat=True) -> PolicyTerms:
    return PolicyTerms(tuple(Tier(d, p) for d, p in tiers), fee, currency, frees_seat)


def quote(policy, *, at, paid=125000, currency="USD", starts_at=START, time_zone="UTC"):
    return refund_quote(
        snapshot=terms_snapshot(policy),
        paid_minor=paid,
        currency=currency,
        starts_at=starts_at,
        time_zone=time_zone,
        at=at,
    )


# --- words ------------------------------------------------------------------------------------


def test_tiered_policy_in_plain_words():
    words = policy_in_words(terms((14, 100), (3, 50), fee=2500))

    assert words == [
        "A full refund if you cancel more than 14 days before the start.",
        "50% back if you cancel later, but more than 3 days before the start.",
        "No refund if you cancel 3 days or less before the start.",
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
        "80% back if you cancel more than 1 day before the start.",
        "No refund if you cancel 1 day or less before the start.",
    ]
    assert policy_in_words(terms(fee=1000))[0] == "No refund if you cancel."
    assert "fee" not in " ".join(policy_in_words(terms(fee=1000)))  # nothing to keep a fee from


def test_a_fee_in_yen_is_shown_without_decimals():
    assert "A cancellation fee of ¥1,500 is kept from any refund." in policy_in_words(
        terms((7, 100), fee=1500, currency="JPY")
    )


def test_words_with_the_start_give_each_deadline_in_the_offering_s_time_zone():
    starts = datetime(2026, 11, 10, 9, 0, tzinfo=LA)  # after the clocks went back on 1 Nov

    words = policy_in_words(terms((14, 100), (3, 50), (0, 20)), starts_at=starts, time_zone=LA)

    assert words[:4] == [
        "A full refund if you cancel more than 14 days before the start,"
        " that is before Tue 27 Oct 2026, 09:00 (America/Los_Angeles).",
        "50% back if you cancel later, but more than 3 days before the start,"
        " that is before Sat 7 Nov 2026, 09:00 (America/Los_Angeles).",
        "20% back if you cancel later, but before the start.",
        "No refund once the course has started.",
    ]


# --- the boundary, tier by tier ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("cancelled", "percent", "due", "until"),
    [
        (START - timedelta(days=20), 100, 125000 - 2500, START - timedelta(days=14)),
        (START - timedelta(days=14) - US, 100, 125000 - 2500, START - timedelta(days=14)),
        (
            START - timedelta(days=14),
            50,
            62500 - 2500,
            START - timedelta(days=3),
        ),  # at the deadline: next tier
        (START - timedelta(days=3) - US, 50, 62500 - 2500, START - timedelta(days=3)),
        (START - timedelta(days=3), 0, 0, None),
        (START - US, 0, 0, None),
        (START + timedelta(hours=1), 0, 0, None),
    ],
)
def test_what_a_cancellation_gives_back_at_each_boundary(cancelled, percent, due, until):
    policy = terms((14, 100), (3, 50), fee=2500)

    result = quote(policy, at=cancelled)

    assert (result.percent, result.amount_minor, result.until) == (percent, due, until)
    assert result.fee_minor == (2500 if due else 0)
    assert refund_percent(policy, starts_at=START, time_zone="UTC", at=cancelled) == percent
    assert refund_due_minor(policy, paid_minor=125000, starts_at=START, time_zone="UTC", at=cancelled) == due


def test_a_zero_day_tier_runs_to_the_start_and_no_further():
    policy = terms((7, 100), (0, 50))
    assert quote(policy, at=START - US).amount_minor == 62500
    assert quote(policy, at=START - US).until == START
    assert quote(policy, at=START).amount_minor == 0
    assert quote(policy, at=START).tier == "No refund once the course has started."


def test_tiers_with_the_same_percentage_share_one_until():
    policy = terms((30, 100), (14, 100), (3, 50))
    result = quote(policy, at=START - timedelta(days=40))
    assert result.until == START - timedelta(days=14)


def test_the_words_say_what_comes_back_and_until_when():
    result = quote(
        terms((14, 100), (3, 50), fee=2500), at=START - timedelta(days=20), time_zone="Europe/London"
    )

    assert result.tier == "A full refund if you cancel more than 14 days before the start."
    assert result.words == (
        "If you cancel now, you get $1,225.00 back: all of the $1,250.00 you paid, less the $25.00"
        " cancellation fee. This applies if you cancel before Mon 16 Feb 2026, 18:00 (Europe/London)."
        " Your seat goes to the next person waiting."
    )
    late = quote(terms((14, 100), (3, 50), frees_seat=False), at=START - timedelta(days=1))
    assert late.words == (
        "If you cancel now, you get nothing back. No refund if you cancel 3 days or less before the start."
    )
    assert late.frees_seat is False


# --- time zones and clock changes -------------------------------------------------------------


def test_los_angeles_deadlines_follow_the_calendar_across_the_clock_change():
    starts = datetime(2026, 11, 10, 9, 0, tzinfo=LA)  # 17:00 UTC, PST
    policy = terms((14, 100), (3, 50))
    deadline = datetime(2026, 10, 27, 16, 0, tzinfo=UTC)  # 09:00 PDT, 14 × 24 h + 1 h before

    assert tier_deadline(starts_at=starts, time_zone=LA, days_before_start=14) == deadline
    assert quote(policy, at=deadline - US, starts_at=starts, time_zone="America/Los_Angeles").percent == 100
    # 09:30 local: exactly 14 × 24 h would still be ahead (10:00 PDT), but the 27th's 09:00 has passed.
    half_past = datetime(2026, 10, 27, 9, 30, tzinfo=LA)
    result = quote(policy, at=half_past, starts_at=starts, time_zone="America/Los_Angeles")
    assert (result.percent, result.amount_minor) == (50, 62500)
    assert result.until == datetime(2026, 11, 7, 17, 0, tzinfo=UTC)  # Sat 7 Nov 09:00 PST
    assert "before Sat 7 Nov 2026, 09:00 (America/Los_Angeles)" in result.words


def test_auckland_deadlines_follow_the_calendar_across_the_clock_change():
    starts = datetime(2026, 10, 5, 9, 0, tzinfo=AUCKLAND)  # NZDT (UTC+13): Sun 4 Oct 20:00 UTC
    policy = terms((14, 100), (3, 50))
    deadline = datetime(2026, 9, 20, 21, 0, tzinfo=UTC)  # Mon 21 Sep 09:00 NZST (UTC+12)

    assert tier_deadline(starts_at=starts, time_zone=AUCKLAND, days_before_start=14) == deadline
    # 08:30 local on the 21st: 14 × 24 h had passed at 08:00, the calendar deadline has not.
    early = datetime(2026, 9, 21, 8, 30, tzinfo=AUCKLAND)
    assert quote(policy, at=early, starts_at=starts, time_zone=AUCKLAND).percent == 100
    assert quote(policy, at=deadline, starts_at=starts, time_zone=AUCKLAND).percent == 50
    assert quote(policy, at=deadline, starts_at=starts, time_zone=AUCKLAND).until == datetime(
        2026, 10, 1, 20, 0, tzinfo=UTC
    )  # Fri 2 Oct 09:00 NZDT


def test_a_deadline_in_a_skipped_or_repeated_hour_is_the_later_instant():
    skipped = datetime(2026, 3, 22, 2, 30, tzinfo=LA)  # 14 days earlier, 02:30 on 8 Mar never happened
    assert tier_deadline(starts_at=skipped, time_zone=LA, days_before_start=14) == datetime(
        2026, 3, 8, 10, 30, tzinfo=UTC
    )
    repeated = datetime(2026, 11, 15, 1, 30, tzinfo=LA)  # 01:30 on 1 Nov happened twice
    assert tier_deadline(starts_at=repeated, time_zone=LA, days_before_start=14) == datetime(
        2026, 11, 1, 9, 30, tzinfo=UTC
    )


# --- amounts ----------------------------------------------------------------------------------


def test_the_fee_never_makes_a_refund_negative():
    result = quote(terms((14, 10), fee=2500), paid=10000, at=START - timedelta(days=30))

    assert (result.amount_minor, result.percent, result.fee_minor) == (0, 10, 1000)
    assert result.words.startswith(
        "If you cancel now, you get nothing back: the $25.00 cancellation fee takes all of the $10.00"
        " refund (10% of the $100.00 you paid)."
    )


def test_rounding_is_in_the_learner_s_favour():
    assert quote(terms((14, 50)), paid=999, at=START - timedelta(days=30)).amount_minor == 500
    assert quote(terms((14, 33)), paid=100, at=START - timedelta(days=30)).amount_minor == 33
    assert quote(terms((14, 33)), paid=101, at=START - timedelta(days=30)).amount_minor == 34


def test_yen_has_no_minor_unit():
    result = quote(
        terms((14, 50), fee=1500, currency="JPY"), paid=12345, currency="JPY", at=START - timedelta(days=30)
    )

    assert (result.amount_minor, result.fee_minor, result.currency) == (6173 - 1500, 1500, "JPY")
    assert (
        "you get ¥4,673 back: 50% of the ¥12,345 you paid, less the ¥1,500 cancellation fee." in result.words
    )


def test_a_free_enrollment_gets_nothing_back_and_no_fee():
    result = quote(terms((14, 100), fee=2500), paid=0, at=START - timedelta(days=30))
    assert (result.amount_minor, result.fee_minor) == (0, 0)
    assert result.words.startswith("If you cancel now, you get nothing back.")


@pytest.mark.parametrize(
    ("kw", "problem"),
    [
        ({"paid": -1}, "paid_minor"),
        ({"at": datetime(2026, 1, 1)}, "timezone-aware"),  # naive: the point
        ({"time_zone": "Mars/Olympus"}, "not a known time zone"),
        ({"currency": "EUR"}, "fee is in USD; the payment was in EUR"),
    ],
)
def test_a_quote_refuses_what_it_cannot_answer(kw, problem):
    args = {"at": START - timedelta(days=30), **kw}
    with pytest.raises(ValueError, match=problem):
        quote(terms((14, 100), fee=100), **args)


@pytest.mark.parametrize(
    "snapshot",
    [{}, {"version": 2}, {"version": 1, "tiers": [{"days_before_start": -1, "refund_percent": 50}]}],
)
def test_a_malformed_snapshot_is_refused(snapshot):
    with pytest.raises(ValueError, match="Not a refund policy snapshot"):
        policy_in_words_for_snapshot(snapshot)


# --- the snapshot kept with an order ----------------------------------------------------------


def test_snapshot_of_the_unit_default_is_plain_json(db):
    policy = RefundPolicyFactory.create(
        tiers=[(3, 50), (14, 100)], cancellation_fee_minor=2500, name="Standard"
    )
    offering = OfferingFactory.create(microcredential__unit=policy.unit, time_zone="Pacific/Auckland")
    taken = datetime(2026, 2, 1, 12, tzinfo=UTC)

    snapshot = policy_snapshot(offering, at=taken)

    assert json.loads(json.dumps(snapshot)) == snapshot
    assert snapshot == {
        "version": 1,
        "offering_id": offering.pk,
        "taken_at": "2026-02-01T12:00:00+00:00",
        "source": "unit_default",
        "policy_id": policy.pk,
        "policy_name": "Standard",
        "tiers": [
            {"days_before_start": 14, "refund_percent": 100},
            {"days_before_start": 3, "refund_percent": 50},
        ],
        "cancellation_fee_minor": 2500,
        "currency": "USD",
        "frees_seat": True,
    }


def test_snapshot_prefers_the_offering_s_own_policy_and_says_when_there_is_none(db):
    default = RefundPolicyFactory.create(tiers=[(14, 100)])
    own = RefundPolicyFactory.create(
        unit=default.unit, is_unit_default=False, tiers=[(0, 100)], frees_seat=False
    )
    offering = OfferingFactory.create(microcredential__unit=default.unit, refund_policy=own)
    bare = OfferingFactory.create(currency="JPY", price_minor=12000)

    assert policy_snapshot(offering)["source"] == "offering"
    assert policy_snapshot(offering)["tiers"] == [{"days_before_start": 0, "refund_percent": 100}]
    assert policy_snapshot(offering)["frees_seat"] is False
    none = policy_snapshot(bare)
    assert (none["source"], none["tiers"], none["currency"], none["policy_id"]) == ("none", [], "JPY", None)
    assert policy_in_words_for_snapshot(none)[0] == "No refund if you cancel."


def test_a_policy_changed_after_purchase_does_not_change_the_quote(db):
    policy = RefundPolicyFactory.create(tiers=[(14, 100), (3, 50)], cancellation_fee_minor=2500)
    starts = datetime(2026, 11, 10, 9, 0, tzinfo=LA)
    offering = OfferingFactory.create(
        microcredential__unit=policy.unit,
        starts_at=starts,
        time_zone="America/Los_Angeles",
        enrollment_opens_at=starts - timedelta(days=60),
    )
    kept = json.loads(json.dumps(policy_snapshot(offering)))  # as stored with the order
    at = datetime(2026, 10, 20, 12, 0, tzinfo=LA)

    def promised(snapshot):
        return refund_quote(
            snapshot=snapshot,
            paid_minor=125000,
            currency="USD",
            starts_at=starts,
            time_zone=offering.time_zone,
            at=at,
        )

    before = promised(kept)
    words_before = policy_in_words_for_snapshot(kept, starts_at=starts, time_zone=offering.time_zone)
    # The unit makes its policy stricter afterwards.
    policy.tiers.all().delete()
    RefundTier.objects.create(policy=policy, days_before_start=20, refund_percent=50)
    policy.cancellation_fee_minor = 10000
    policy.save()

    assert promised(kept) == before
    assert (before.amount_minor, before.percent) == (122500, 100)
    assert policy_in_words_for_snapshot(kept, starts_at=starts, time_zone=offering.time_zone) == words_before
    assert words_before[0] == (
        "A full refund if you cancel more than 14 days before the start,"
        " that is before Tue 27 Oct 2026, 09:00 (America/Los_Angeles)."
    )
    # A new purchase gets the new terms.
    assert promised(policy_snapshot(offering)).amount_minor == 62500 - 10000


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


# --- properties of every quote ----------------------------------------------------------------


@st.composite
def policies(draw: st.DrawFn) -> PolicyTerms:
    days = sorted(draw(st.sets(st.integers(0, 60), max_size=4)), reverse=True)
    percents = sorted(
        draw(st.lists(st.integers(1, 100), min_size=len(days), max_size=len(days))), reverse=True
    )
    fee = draw(st.integers(0, 50_000))
    return terms(*zip(days, percents, strict=True), fee=fee)


ZONES = ["Pacific/Auckland", "America/Los_Angeles", "Europe/London", "Asia/Tokyo", "UTC"]
moments = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
)


@settings(max_examples=200, deadline=None, database=None)
@given(
    policy=policies(),
    paid=st.integers(0, 5_000_000),
    zone=st.sampled_from(ZONES),
    times=st.tuples(moments, moments),
)
def test_a_later_cancellation_never_gets_more_and_until_is_exact(policy, paid, zone, times):
    starts = datetime(2026, 11, 10, 9, 0, tzinfo=ZoneInfo(zone))
    earlier, later = sorted(times)
    first = quote(policy, paid=paid, starts_at=starts, time_zone=zone, at=earlier)
    second = quote(policy, paid=paid, starts_at=starts, time_zone=zone, at=later)

    assert 0 <= second.amount_minor <= first.amount_minor <= paid
    share = first.amount_minor + first.fee_minor  # the tier's share, rounded up, never down
    assert share * 100 - 100 < paid * first.percent <= share * 100
    assert first.fee_minor <= policy.cancellation_fee_minor
    if first.until is None:
        assert first.percent == 0
    else:
        assert earlier < first.until <= starts
        assert (
            quote(policy, paid=paid, starts_at=starts, time_zone=zone, at=first.until - US).percent
            == first.percent
        )
        assert (
            quote(policy, paid=paid, starts_at=starts, time_zone=zone, at=first.until).percent < first.percent
        )

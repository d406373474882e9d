"""A learner cancels a paid seat from My learning: the page says what comes back and when (from
the policy snapshot kept with the order line), confirming cancels, frees the seat (or keeps it,
as the policy says) and creates the refund; My learning shows it pending, then refunded.
Each tier is checked two minutes either side of its deadline, in the offering's time zone."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from catalog.models import Offering
from payments.models import Refund, RefundState
from tests.catalog.factories import RefundPolicyFactory
from tests.payments.conftest import Shop
from tests.refunds.helpers import figures

ZONE = "America/Los_Angeles"


def _start_for(deadline: datetime, days_before: int) -> datetime:
    """The start whose `days_before`-day deadline is `deadline` (same wall-clock time, N calendar
    days later, in the offering's zone: Python's aware arithmetic is wall-clock arithmetic)."""
    local = deadline.astimezone(ZoneInfo(ZONE))
    return (local + timedelta(days=days_before)).astimezone(ZoneInfo("UTC"))


def _paid_seat(shop: Shop, *, starts_at: datetime, capacity: int = 5, **policy: Any) -> Offering:
    RefundPolicyFactory.create(unit=shop.world.a_unit1, tiers=[(14, 100), (3, 50)], **policy)
    offering = shop.offering(starts_at=starts_at, time_zone=ZONE, capacity=capacity)
    enrollment = shop.hold(offering)
    shop.checkout(enrollment)
    order = shop.order_of(enrollment)
    shop.pay(order)
    shop.deliver()
    enrollment.refresh_from_db()
    assert enrollment.status == "confirmed"
    return offering


@pytest.mark.parametrize(
    ("tier_days", "minutes", "expected", "words"),
    [
        (14, +2, 125000, "$1,250.00 of the $1,250.00 you paid"),
        (14, -2, 62500, "$625.00 of the $1,250.00 you paid"),
        (3, +2, 62500, "$625.00 of the $1,250.00 you paid"),
        (3, -2, 0, "Nothing of the $1,250.00 you paid"),
    ],
)
def test_each_tier_at_its_boundary(
    shop: Shop, eager_tasks: None, tier_days: int, minutes: int, expected: int, words: str
) -> None:
    starts_at = _start_for(timezone.now() + timedelta(minutes=minutes), tier_days)
    offering = _paid_seat(shop, starts_at=starts_at)
    enrollment = offering.enrollments.get()

    page = shop.browser.get("/my/learning/").content.decode()
    assert f"/my/learning/{enrollment.pk}/cancel-paid/" in page
    # The enrollment's own cancel page sends a paid seat here: no way round the refund page.
    assert shop.browser.get(f"/my/learning/{enrollment.pk}/cancel/").url == (  # type: ignore[attr-defined]
        f"/my/learning/{enrollment.pk}/cancel-paid/"
    )
    page = shop.browser.get(f"/my/learning/{enrollment.pk}/cancel-paid/").content.decode()
    assert words in page
    assert ZONE in page  # the deadline is said in the offering's own time zone
    with shop.capture(execute=True):
        response = shop.browser.post(
            f"/my/learning/{enrollment.pk}/cancel-paid/", {"expected_minor": str(expected)}
        )
    assert response.status_code == 302
    enrollment.refresh_from_db()
    assert enrollment.status == "cancelled"
    refunds = list(Refund.objects.all())
    if expected:
        assert [(r.amount_minor, r.state, r.requested_by_kind) for r in refunds] == [
            (expected, RefundState.SUCCEEDED, "learner")
        ]
        assert figures(shop)["continuing-ed"][2] == expected
    else:
        assert refunds == []


def test_a_learner_sees_the_refund_pending_then_refunded_and_the_seat_goes_on(
    shop: Shop, eager_tasks: None
) -> None:
    from tests.factories import UserFactory

    offering = _paid_seat(shop, starts_at=timezone.now() + timedelta(days=20), capacity=1)
    waiting = shop.hold(offering, learner=UserFactory.create())
    assert waiting.status == "waitlisted"
    enrollment = offering.enrollments.get(learner=shop.learner)

    with shop.capture(execute=False) as callbacks:
        shop.browser.post(f"/my/learning/{enrollment.pk}/cancel-paid/", {"expected_minor": "125000"})
    page = shop.browser.get("/my/learning/").content.decode()
    assert "Refund of $1,250.00 pending." in page
    waiting.refresh_from_db()
    assert waiting.status == "offered"  # the seat was offered on at once
    for callback in callbacks:
        callback()
    page = shop.browser.get("/my/learning/").content.decode()
    assert "Refunded: $1,250.00." in page
    assert "pending" not in page
    reference = Refund.objects.get().line.order.reference
    assert "Refunded: $1,250.00." in shop.browser.get(f"/orders/{reference}/").content.decode()


def test_a_policy_changed_after_purchase_changes_nothing(shop: Shop, eager_tasks: None) -> None:
    offering = _paid_seat(shop, starts_at=timezone.now() + timedelta(days=20))
    policy = offering.microcredential.unit.refund_policies.get()
    policy.tiers.all().delete()
    policy.frees_seat = False
    policy.save()
    enrollment = offering.enrollments.get()

    page = shop.browser.get(f"/my/learning/{enrollment.pk}/cancel-paid/").content.decode()
    assert "$1,250.00 of the $1,250.00 you paid" in page
    with shop.capture(execute=True):
        shop.browser.post(f"/my/learning/{enrollment.pk}/cancel-paid/", {"expected_minor": "125000"})
    assert Refund.objects.get().amount_minor == 125000
    offering.refresh_from_db()
    assert offering.seats_taken == 0  # the policy at purchase freed the seat


def test_a_policy_that_keeps_the_seat_keeps_it_taken(shop: Shop, eager_tasks: None) -> None:
    offering = _paid_seat(shop, starts_at=timezone.now() + timedelta(days=20), frees_seat=False)
    enrollment = offering.enrollments.get()
    page = shop.browser.get(f"/my/learning/{enrollment.pk}/cancel-paid/").content.decode()
    assert "Your seat is not passed on to anyone else." in page
    with shop.capture(execute=True):
        shop.browser.post(f"/my/learning/{enrollment.pk}/cancel-paid/", {"expected_minor": "125000"})
    enrollment.refresh_from_db()
    offering.refresh_from_db()
    assert enrollment.status == "cancelled"
    assert offering.seats_taken == 1


def test_a_deadline_passing_while_the_page_was_open_changes_nothing(shop: Shop, eager_tasks: None) -> None:
    offering = _paid_seat(shop, starts_at=timezone.now() + timedelta(days=20))
    enrollment = offering.enrollments.get()
    response = shop.browser.post(
        f"/my/learning/{enrollment.pk}/cancel-paid/", {"expected_minor": "999"}, follow=True
    )
    assert "changed to $1,250.00" in response.content.decode()
    enrollment.refresh_from_db()
    assert enrollment.status == "confirmed"
    assert not Refund.objects.exists()


def test_someone_elses_seat_is_not_found(shop: Shop, eager_tasks: None) -> None:
    offering = _paid_seat(shop, starts_at=timezone.now() + timedelta(days=20))
    enrollment = offering.enrollments.get()
    other = shop.world.client_for(shop.world.a_admin, shop.tenant)
    assert other.get(f"/my/learning/{enrollment.pk}/cancel-paid/").status_code == 404
    assert (
        other.post(f"/my/learning/{enrollment.pk}/cancel-paid/", {"expected_minor": "1"}).status_code == 404
    )


def test_after_cancelling_the_order_page_no_longer_says_enrolled(shop: Shop, eager_tasks: None) -> None:
    offering = _paid_seat(shop, starts_at=timezone.now() + timedelta(days=20))
    enrollment = offering.enrollments.get()
    order = shop.order_of(enrollment)
    page = shop.browser.get(f"/orders/{order.reference}/").content.decode()
    assert "Payment received: you are enrolled" in page

    with shop.capture(execute=True):
        shop.browser.post(f"/my/learning/{enrollment.pk}/cancel-paid/", {"expected_minor": "125000"})

    page = shop.browser.get(f"/orders/{order.reference}/").content.decode()
    assert "you are enrolled" not in page
    assert "Payment received; the enrollment was cancelled" in page
    assert "Enrollment cancelled." in page
    assert "Refunded: $1,250.00." in page
    assert "Payment received, and refunded" not in page  # not the late-payment message


def test_an_account_cannot_be_erased_while_its_refund_is_on_its_way(shop: Shop, eager_tasks: None) -> None:
    """Erasing the account blanks the order's e-mail: the refund's notice would go nowhere."""
    from payments import personal_data

    offering = _paid_seat(shop, starts_at=timezone.now() + timedelta(days=20))
    enrollment = offering.enrollments.get()
    assert personal_data.blocker(shop.learner) is None

    with shop.capture(execute=False):  # the refund job has not run yet
        shop.browser.post(f"/my/learning/{enrollment.pk}/cancel-paid/", {"expected_minor": "125000"})
    assert Refund.objects.get().state == RefundState.REQUESTED

    assert personal_data.blocker(shop.learner) == (
        "A payment or a refund of yours is still being processed; try again once it has finished."
    )


def test_a_confirmation_without_the_quoted_amount_changes_nothing_and_says_so(
    shop: Shop, eager_tasks: None
) -> None:
    offering = _paid_seat(shop, starts_at=timezone.now() + timedelta(days=20))
    enrollment = offering.enrollments.get()

    response = shop.browser.post(
        f"/my/learning/{enrollment.pk}/cancel-paid/", {"expected_minor": "lots"}, follow=True
    )

    assert "Please review what you would get back, then confirm again." in response.content.decode()
    assert "$1,250.00 of the $1,250.00 you paid" in response.content.decode()  # the quote, shown again
    enrollment.refresh_from_db()
    assert enrollment.status == "confirmed"
    assert not Refund.objects.exists()


@pytest.mark.parametrize("frees_seat", [True, False])
def test_what_you_get_back_says_each_sentence_once(shop: Shop, eager_tasks: None, frees_seat: bool) -> None:
    import re

    offering = _paid_seat(shop, starts_at=timezone.now() + timedelta(days=20), frees_seat=frees_seat)
    enrollment = offering.enrollments.get()
    page = shop.browser.get(f"/my/learning/{enrollment.pk}/cancel-paid/").content.decode()
    section = page[page.index('id="refund-heading"') : page.index("</section>")]
    sentences = [s.strip() for s in re.split(r"(?<=[.!?])\s+|<[^>]+>", section) if s.strip()]
    repeated = {s for s in sentences if sentences.count(s) > 1}
    assert repeated == set()
    seat = "Your seat goes to the next person waiting." if frees_seat else "Your seat is not passed on"
    assert section.count(seat) == 1

"""A learner cancels after a unit's goodwill refund: the cancel page shows what was already
refunded and what the policy adds, the policy's share is of what is still paid, and the learner's
data export then tells the order as its page does (status wording, the line's seat, its refunds)."""

from __future__ import annotations

import json
from datetime import timedelta

from django.utils import timezone

from payments.models import Order, Refund
from tests.payments.conftest import Shop
from tests.refunds.helpers import request
from tests.refunds.test_learner_cancel import _paid_seat


def _goodwill_then_cancel(shop: Shop) -> tuple[Order, str]:
    # 7 days before the start: the 50% tier. $1,250.00 paid, $250.00 given back by staff first.
    offering = _paid_seat(shop, starts_at=timezone.now() + timedelta(days=7))
    enrollment = offering.enrollments.get()
    order = Order.objects.get()
    request(shop, order.lines.get(), 25000, reason="Goodwill: the first session moved")
    page = shop.browser.get(f"/my/learning/{enrollment.pk}/cancel-paid/").content.decode()
    with shop.capture(execute=True):
        response = shop.browser.post(
            f"/my/learning/{enrollment.pk}/cancel-paid/", {"expected_minor": "50000"}
        )
    assert response.status_code == 302
    return order, page


def test_the_policy_share_is_of_what_is_still_paid_after_goodwill(shop: Shop, eager_tasks: None) -> None:
    _order, page = _goodwill_then_cancel(shop)

    assert "$500.00 more of the $1,000.00 you have still paid" in page
    assert "<dt>Already refunded to you</dt><dd>$250.00</dd>" in page
    assert "<dt>What the policy adds now</dt><dd>$500.00</dd>" in page
    assert "<dt>Refunded in all</dt><dd>$750.00</dd>" in page
    assert "money already given back to you is not refunded a second time" in page
    refunds = [(r.amount_minor, r.requested_by_kind, r.state) for r in Refund.objects.order_by("pk")]
    assert refunds == [(25000, "staff", "succeeded"), (50000, "learner", "succeeded")]
    # Never more than the policy on the full price ($625.00) plus what staff gave ($250.00).
    assert sum(r[0] for r in refunds) <= 62500 + 25000


def test_the_data_export_tells_a_refunded_order_as_its_page_does(shop: Shop, eager_tasks: None) -> None:
    order, _page = _goodwill_then_cancel(shop)

    order_page = shop.browser.get(f"/orders/{order.reference}/").content.decode()
    data = json.loads(shop.browser.get("/me/data.json").content)

    exported = data["orders"][0]
    assert exported["status"] == "Payment received; the enrollment was cancelled"
    assert f"<h1>{exported['status']}</h1>" in order_page
    line = exported["lines"][0]
    assert line["status"] == "Enrollment cancelled."
    assert "Enrollment cancelled." in order_page
    assert [(r["amount_minor"], r["status"]) for r in line["refunds"]] == [
        (25000, "Refunded: $250.00. Your bank may take 5–10 days to show it."),
        (50000, "Refunded: $500.00. Your bank may take 5–10 days to show it."),
    ]
    for refund in line["refunds"]:
        assert refund["status"] in order_page

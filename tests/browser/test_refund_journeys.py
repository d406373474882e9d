"""Refunds in a real browser: a learner pays, cancels 20 days before the start and sees the full
refund pending, then done (the refund job runs as the worker would, between the two looks); a
unit admin refunds half of another learner's order with a reason from the console."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from core import jobs
from identity.models import User
from payments.models import Refund
from payments.services import refund_execution
from stripe_local.server import LocalStripe
from tenants.models import StaffRole, Tenant, Unit
from tests.browser.a11y import assert_accessible, assert_no_horizontal_scroll
from tests.browser.test_payment_journeys import _fill_card, local_stripe, tenant, unit  # noqa: F401
from tests.catalog.factories import OfferingFactory, RefundPolicyFactory
from tests.factories import UserFactory, make_staff


@pytest.fixture
def worker_later(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Refund jobs are queued, not run: the test runs them when it wants (as the worker would)."""
    queued: list[int] = []
    send = jobs.enqueue

    def enqueue(name: str, *args: Any, **kwargs: Any) -> bool:
        if name in ("payments.refund", "payments.refund_bulk"):
            queued.append(args[0])
            return True
        return send(name, *args, **kwargs)

    monkeypatch.setattr(jobs, "enqueue", enqueue)
    return queued


def _pay(page: Page, offering_pk: int, price: str) -> None:
    page.goto(f"/offerings/{offering_pk}/enroll/")
    page.get_by_role("button", name="Hold my seat").click()  # on to the review, then the checkout
    page.get_by_role("button", name=re.compile(r"^Pay \$")).click()
    _fill_card(page, "4242 4242 4242 4242")
    page.get_by_role("button", name=re.compile(r"^Pay .* USD$")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Payment received: you are enrolled", timeout=15000
    )


@pytest.mark.browser
def test_a_learner_cancels_20_days_before_and_sees_the_full_refund_pending_then_done(
    page: Page,
    unit: Unit,  # noqa: F811
    local_stripe: LocalStripe,  # noqa: F811
    sign_in: Callable[[User], None],
    worker_later: list[int],
) -> None:
    RefundPolicyFactory.create(unit=unit, tiers=[(14, 100), (3, 50)])
    offering = OfferingFactory.create(
        microcredential__unit=unit,
        microcredential__title="Python for Data Analysis",
        price_minor=125000,
        starts_at=timezone.now() + timedelta(days=20),
    )
    learner = UserFactory.create(email="ada@example.test")
    sign_in(learner)
    _pay(page, offering.pk, "$1,250.00")

    page.set_viewport_size({"width": 375, "height": 740})
    page.goto("/my/learning/")
    page.get_by_role("link", name="Cancel enrollment").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cancel your enrollment?")
    quote = page.get_by_role("region", name="What you get back")
    expect(quote).to_contain_text("$1,250.00 of the $1,250.00 you paid")
    expect(quote).to_contain_text("America/Chicago")  # until when, in the offering's time zone
    assert_accessible(page, "the cancellation page")
    assert_no_horizontal_scroll(page, "the cancellation page")
    page.get_by_role("button", name="Cancel and get $1,250.00 back").click()

    expect(page.get_by_role("status").first).to_contain_text("A refund of $1,250.00 is on its way.")
    expect(page.get_by_text("Refund of $1,250.00 pending.")).to_be_visible()
    assert_accessible(page, "My learning with a refund pending")

    for refund_id in worker_later:  # the worker picks the job up
        refund_execution.refund_execute(refund_id=refund_id)
    page.reload()
    expect(page.get_by_text(re.compile(r"Refunded: \$1,250\.00"))).to_be_visible()
    expect(page.get_by_text("pending")).to_have_count(0)
    refund = Refund.objects.get()
    assert local_stripe.control.refunds_of(refund.line.order.charge_id) == 1


@pytest.mark.browser
def test_a_unit_admin_refunds_half_of_an_order_with_a_reason(
    page: Page,
    tenant: Tenant,  # noqa: F811
    unit: Unit,  # noqa: F811
    local_stripe: LocalStripe,  # noqa: F811
    sign_in: Callable[[User], None],
) -> None:
    offering = OfferingFactory.create(
        microcredential__unit=unit, microcredential__title="SQL Fundamentals", price_minor=49000
    )
    learner = UserFactory.create(email="grace@example.test")
    sign_in(learner)
    _pay(page, offering.pk, "$490.00")

    admin = make_staff(tenant, StaffRole.UNIT_ADMIN, [unit])
    page.context.clear_cookies()
    sign_in(admin)
    page.goto(f"/console/offerings/{offering.pk}/roster/")
    page.get_by_role("link", name="Payments and refunds").click()
    line = page.locator("li.card", has_text="grace@example.test")
    expect(line).to_contain_text("left to refund $490.00")
    line.get_by_label("Amount to refund (USD)").fill("245.00")
    line.get_by_label("Reason").fill("Could only attend half of the sessions")
    line.get_by_role("button", name="Refund").click()

    expect(page.get_by_role("status").first).to_contain_text(
        "Refund of $245.00 to grace@example.test requested."
    )
    line = page.locator("li.card", has_text="grace@example.test")
    expect(line).to_contain_text("left to refund $245.00")
    expect(line).to_contain_text("Refunded: $245.00")
    expect(line).to_contain_text("Could only attend half of the sessions")
    assert_accessible(page, "an offering's payments and refunds")

    page.goto("/console/refunds/")
    expect(page.get_by_role("table")).to_contain_text("Could only attend half of the sessions")
    expect(page.get_by_role("table")).to_contain_text(admin.email)
    assert_accessible(page, "the refunds list")

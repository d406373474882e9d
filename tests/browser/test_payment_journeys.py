"""Paying in a real browser: a learner holds a seat, pays with 4242 on the local Stripe's hosted
page, sees "processing" turn into the confirmation on its own and prints the receipt; another
learner's card is declined and their seat stays held until the hold runs out.

The local Stripe runs in this process and delivers its signed events to the live server's
webhook; Celery tasks run where they are queued (the live server's thread)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

import stripe_local
from enrollment import services as enrollment_services
from enrollment.models import Enrollment
from microcred.celery import app
from payments.services.stripe_settings import stripe_settings_save
from stripe_local.server import LocalStripe
from tenants.models import Tenant, Unit
from tests.browser.a11y import assert_accessible, assert_no_horizontal_scroll
from tests.catalog.factories import OfferingFactory
from tests.factories import TenantFactory, UnitFactory, UserFactory

WHSEC = "whsec_browser_journeys_0123456789"


@pytest.fixture
def tenant(transactional_db: None) -> Tenant:
    return TenantFactory.create(name="Alpha University", hosts=["localhost"], time_zone="America/Chicago")


@pytest.fixture
def unit(tenant: Tenant) -> Unit:
    return UnitFactory.create(
        tenant=tenant, slug="continuing-ed", name="Continuing Education", primary_colour="#7a1f5c"
    )


@pytest.fixture
def local_stripe(settings, live_server: LiveServer, tenant: Tenant) -> Iterator[LocalStripe]:
    settings.PUBLIC_PORT = str(live_server.thread.port)
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    with stripe_local.running(
        webhook_url=f"{live_server.url}/payments/stripe/webhook/", webhook_secret=WHSEC
    ) as server:
        settings.STRIPE_API_BASE = server.url
        stripe_settings_save(tenant=tenant, secret_key="sk_test_browser", webhook_secret=WHSEC)
        yield server
    app.conf.task_always_eager = previous


def _fill_card(page: Page, number: str) -> None:
    # The e-mail comes from the order (customer_email): the page shows it instead of asking.
    expect(page.get_by_role("form", name="Pay by card")).to_contain_text("Receipt to")
    page.get_by_label("Card number").fill(number)
    page.get_by_label("Expiry date").fill("12 / 34")
    page.get_by_label("Security code").fill("123")
    page.get_by_label("Name on card").fill("Ada Learner")


@pytest.mark.browser
def test_a_learner_pays_with_4242_and_gets_the_confirmation_and_receipt(
    page: Page, unit: Unit, local_stripe: LocalStripe, sign_in
) -> None:
    offering = OfferingFactory.create(
        microcredential__unit=unit,
        microcredential__title="Python for Data Analysis",
        price_minor=125000,
        capacity=10,
    )
    learner = UserFactory.create(email="ada@example.test")
    sign_in(learner)

    page.goto(f"/offerings/{offering.pk}/enroll/")
    # Holding a paid seat goes on to the review page, then to payment.
    page.get_by_role("button", name="Hold my seat").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Review and pay")
    expect(page.locator("#order-total")).to_have_text("$1,250.00")
    assert_accessible(page, "the review page")
    assert_no_horizontal_scroll(page, "the review page")
    page.get_by_role("button", name="Pay $1,250.00").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Pay 1,250.00 USD")
    _fill_card(page, "4242 4242 4242 4242")
    page.get_by_role("button", name="Pay 1,250.00 USD").click()

    expect(page).to_have_url(re.compile(r"/orders/MC-[A-Z0-9]+/\?session_id=cs_"))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Payment received: you are enrolled", timeout=15000
    )
    assert_accessible(page, "the order confirmation")
    assert_no_horizontal_scroll(page, "the order confirmation")
    assert Enrollment.objects.get(learner=learner).status == "confirmed"

    page.get_by_role("link", name="View your receipt").click()
    receipt = page.get_by_role("article")
    expect(receipt).to_contain_text("Alpha University")
    expect(receipt).to_contain_text("Continuing Education")
    expect(receipt).to_contain_text("Python for Data Analysis")
    expect(receipt).to_contain_text("$1,250.00")
    expect(receipt).to_contain_text(re.compile(r"pi_\w+"))
    assert_accessible(page, "the receipt")
    page.emulate_media(media="print")
    expect(page.get_by_role("navigation", name="Main")).to_be_hidden()
    expect(page.get_by_role("link", name="Back to My learning")).to_be_hidden()
    expect(receipt).to_be_visible()
    receipts = [m for m in mail.outbox if m.to == ["ada@example.test"] and "receipt" in m.subject.lower()]
    assert len(receipts) == 1
    assert receipts[0].subject.startswith("[Continuing Education]")


@pytest.mark.browser
def test_a_declined_card_keeps_the_seat_held_until_the_hold_expires(
    page: Page, tenant: Tenant, unit: Unit, local_stripe: LocalStripe, sign_in
) -> None:
    offering = OfferingFactory.create(
        microcredential__unit=unit, microcredential__title="SQL Fundamentals", price_minor=49000, capacity=1
    )
    learner = UserFactory.create(email="grace@example.test")
    held = enrollment_services.enrollment_create(
        tenant=tenant, learner=learner, offering_id=offering.pk
    ).enrollment
    sign_in(learner)

    page.goto("/my/learning/")
    page.get_by_role("button", name="Pay $490.00").click()
    _fill_card(page, "4000 0000 0000 0002")
    page.get_by_role("button", name="Pay 490.00 USD").click()
    expect(page.get_by_role("alert")).to_contain_text("Your card was declined.")

    page.goto("/my/learning/")
    item = page.locator(f"#enrollment-{held.pk}")
    expect(item).to_contain_text("Seat held")
    expect(item.get_by_role("button", name="Pay $490.00")).to_be_visible()
    held.refresh_from_db()
    assert held.status == "held"
    offering.refresh_from_db()
    assert offering.seats_taken == 1

    # Then the hold runs out (the minute job), and the seat is free again.
    assert held.hold_expires_at is not None
    enrollment_services.enrollments_expire_due(now=held.hold_expires_at + timedelta(seconds=1))
    page.reload()
    expect(page.locator(f"#enrollment-{held.pk}")).to_contain_text("Expired")
    offering.refresh_from_db()
    assert offering.seats_taken == 0
    assert timezone.now() < held.hold_expires_at


@pytest.mark.browser
def test_a_learner_on_a_phone_applies_a_code_and_pays_the_reduced_price(
    page: Page, tenant: Tenant, unit: Unit, local_stripe: LocalStripe, sign_in
) -> None:
    from promotions.models import PromotionCode

    PromotionCode.objects.create(
        tenant=tenant, unit=unit, code="SPRING20", kind="percent", percent_off=20, description="Spring sale"
    )
    offering = OfferingFactory.create(
        microcredential__unit=unit, microcredential__title="Data Storytelling", price_minor=60000, capacity=10
    )
    learner = UserFactory.create(email="lin@example.test")
    sign_in(learner)
    page.set_viewport_size({"width": 390, "height": 844})

    page.goto(f"/offerings/{offering.pk}/enroll/")
    page.get_by_role("button", name="Hold my seat").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Review and pay")
    page.get_by_label("Promotion code").fill("sprng20")  # mistyped first
    page.get_by_role("button", name="Apply code").click()
    expect(page.get_by_role("alert")).to_contain_text("There is no promotion code “SPRNG20”")
    expect(page.get_by_label("Promotion code")).to_have_value("sprng20")
    assert_accessible(page, "the review page with a mistyped code")
    assert_no_horizontal_scroll(page, "the review page with a mistyped code")

    page.get_by_label("Promotion code").fill("spring20")
    page.get_by_label("Promotion code").press("Enter")  # Enter applies the code, it does not pay
    expect(page.get_by_role("status")).to_contain_text("Code SPRING20 applied.")
    expect(page.locator("#order-total")).to_have_text("$480.00")
    expect(page.get_by_text("List price $600.00, less $120.00 with code SPRING20")).to_be_visible()
    assert_accessible(page, "the review page with a code applied")
    assert_no_horizontal_scroll(page, "the review page with a code applied")

    page.get_by_role("button", name="Pay $480.00").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Pay 480.00 USD")
    _fill_card(page, "4242 4242 4242 4242")
    page.get_by_role("button", name="Pay 480.00 USD").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Payment received: you are enrolled", timeout=15000
    )
    expect(page.get_by_text("List price $600.00, less $120.00 with code SPRING20")).to_be_visible()
    assert_accessible(page, "the confirmation of a discounted order")
    assert_no_horizontal_scroll(page, "the confirmation of a discounted order")
    receipts = [m for m in mail.outbox if m.to == ["lin@example.test"] and "receipt" in m.subject.lower()]
    assert len(receipts) == 1
    assert "$480.00" in receipts[0].body

"""The units' business pages in a real browser, at a phone's width and a desktop's: a unit admin
adds a webhook endpoint (the secret shown once) and opens the demand page; a visitor asks to be
told when a full run frees a seat; a learner turns reminders off from the e-mailed link. Each page
passes axe and does not scroll sideways."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from demand.models import Interest
from enrollment.services.messages import reminders_off_token
from learners.models import ReminderOptOut
from tenants.models import StaffRole, Tenant, Unit
from tests.browser.a11y import assert_accessible, assert_no_horizontal_scroll
from tests.catalog.factories import OfferingFactory
from tests.factories import TenantFactory, UnitFactory, UserFactory, make_staff
from webhooks.models import Endpoint

SHOTS = os.environ.get("JOURNEY_SCREENSHOTS", "")


@pytest.fixture
def tenant(transactional_db: None) -> Tenant:
    return TenantFactory.create(name="Alpha University", hosts=["localhost"], time_zone="America/Chicago")


@pytest.fixture
def unit(tenant: Tenant) -> Unit:
    return UnitFactory.create(tenant=tenant, slug="continuing-ed", name="Continuing Education")


def _check(page: Page, name: str) -> None:
    for width, height in ((390, 844), (1280, 800)):
        page.set_viewport_size({"width": width, "height": height})
        assert_accessible(page, f"{name} at {width} px")
        assert_no_horizontal_scroll(page, f"{name} at {width} px")
        if SHOTS:
            page.screenshot(path=Path(SHOTS) / f"{name}-{width}.png", full_page=True)


@pytest.mark.browser
def test_a_unit_admin_adds_a_webhook_endpoint_and_reads_demand(
    page: Page, tenant: Tenant, unit: Unit, sign_in
) -> None:
    sign_in(make_staff(tenant, StaffRole.UNIT_ADMIN, [unit]))
    page.goto("/console/webhooks/new/")
    _check(page, "webhook-new")
    page.get_by_label("Address (URL)").fill("https://crm.example.edu/microcred")
    page.get_by_label("Enrollment confirmed").check()
    page.get_by_role("button", name="Add the endpoint").click()
    endpoint = Endpoint.objects.get()
    expect(page.get_by_text("whsec_")).to_be_visible()
    _check(page, "webhook-endpoint")
    assert endpoint.url == "https://crm.example.edu/microcred"
    page.goto("/console/demand/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Demand")
    _check(page, "demand-console")


@pytest.mark.browser
def test_a_visitor_asks_to_be_told_and_a_learner_turns_reminders_off(
    page: Page, tenant: Tenant, unit: Unit, sign_in
) -> None:
    full = OfferingFactory.create(microcredential__unit=unit, capacity=1, seats_taken=1, price_minor=40000)
    page.goto(f"/offerings/{full.pk}/notify/")
    _check(page, "notify-me")
    page.get_by_label("E-mail").fill("visitor@example.test")
    page.get_by_role("button").filter(has_text="Notify me").click()
    expect(page.get_by_text("on the list")).to_be_visible()
    assert Interest.objects.filter(email="visitor@example.test").exists()

    learner = UserFactory.create(email="lee@example.test")
    page.goto(f"/reminders/off/{reminders_off_token(tenant_id=tenant.pk, user_id=learner.pk)}/")
    _check(page, "reminders-off")
    page.get_by_role("button").first.click()
    assert ReminderOptOut.objects.filter(user=learner).exists()
    _check(page, "reminders-off-done")

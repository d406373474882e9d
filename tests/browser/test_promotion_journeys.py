"""Promotions in a real browser: a unit admin makes a code and a batch of single-use codes in the
console; a learner picks a run of each part of a bundle and lands on the review page at the
bundle's price; staff waive a held seat's fee from the roster."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from enrollment import services as enrollment_services
from tenants.models import StaffRole, Tenant, Unit
from tests.browser.a11y import assert_accessible, assert_no_horizontal_scroll
from tests.catalog.factories import MicrocredentialFactory, OfferingFactory
from tests.factories import TenantFactory, UnitFactory, UserFactory, make_staff


@pytest.fixture
def tenant(transactional_db: None) -> Tenant:
    return TenantFactory.create(name="Alpha University", hosts=["localhost"], time_zone="America/Chicago")


@pytest.fixture
def unit(tenant: Tenant) -> Unit:
    return UnitFactory.create(tenant=tenant, slug="continuing-ed", name="Continuing Education")


@pytest.mark.browser
def test_a_unit_admin_makes_a_code_and_a_batch(page: Page, tenant: Tenant, unit: Unit, sign_in) -> None:
    sign_in(make_staff(tenant, StaffRole.UNIT_ADMIN, [unit]))
    page.goto("/console/promotions/")
    page.get_by_role("link", name="New code").click()
    page.get_by_label("Code", exact=True).fill("spring25")
    page.get_by_label("Percentage off", exact=True).check()
    page.get_by_label("Percentage off", exact=True).click()
    page.locator("#id_percent_off").fill("250")
    page.get_by_role("button", name="Save the code").click()
    expect(page.get_by_role("alert")).to_contain_text("Please correct the fields marked below.")
    expect(page.locator("#id_percent_off")).to_have_value("250")
    assert_accessible(page, "the new code form with an error")
    assert_no_horizontal_scroll(page, "the new code form with an error")
    page.locator("#id_percent_off").fill("25")
    page.get_by_role("button", name="Save the code").click()
    expect(page.get_by_role("table", name="Codes")).to_contain_text("SPRING25")
    expect(page.get_by_role("table", name="Codes")).to_contain_text("25% off")

    page.get_by_role("link", name="New batch of single-use codes").click()
    page.get_by_label("Batch name").fill("Open day flyers")
    page.get_by_label("How many codes").fill("50")
    page.get_by_label("Fixed amount off").check()
    page.locator("#id_amount_off").fill("40")
    page.get_by_role("button", name="Make the codes").click()
    expect(page.get_by_role("table", name="Batches of single-use codes")).to_contain_text("Open day flyers")
    assert_accessible(page, "the promotions page")
    assert_no_horizontal_scroll(page, "the promotions page")
    with page.expect_download() as download:
        page.get_by_role("link", name="CSV of “Open day flyers”").click()
    assert download.value.suggested_filename.startswith("codes-")


@pytest.mark.browser
def test_a_learner_holds_a_bundle_and_reviews_its_price(
    page: Page, tenant: Tenant, unit: Unit, sign_in
) -> None:
    first = OfferingFactory.create(
        microcredential__unit=unit, microcredential__title="SQL Basics", price_minor=30000, capacity=5
    )
    second = OfferingFactory.create(
        microcredential__unit=unit, microcredential__title="Dashboards", price_minor=10000, capacity=5
    )
    whole = MicrocredentialFactory.create(
        tenant=tenant,
        unit=unit,
        title="Data Analyst Certificate",
        status="published",
        bundle_discount_percent=10,
    )
    whole.parts.set([first.microcredential, second.microcredential])
    sign_in(UserFactory.create(email="sam@example.test"))

    page.goto(f"/bundles/{whole.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Bundle: Data Analyst Certificate")
    expect(page.get_by_role("group", name="SQL Basics")).to_be_visible()
    assert_accessible(page, "the bundle page")
    assert_no_horizontal_scroll(page, "the bundle page")
    page.get_by_role("button", name="Hold my seats").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Review and pay")
    expect(page.locator("#order-total")).to_have_text("$360.00")
    assert_accessible(page, "the review page of a bundle")
    assert_no_horizontal_scroll(page, "the review page of a bundle")


@pytest.mark.browser
def test_staff_waive_a_held_seat_from_the_roster(page: Page, tenant: Tenant, unit: Unit, sign_in) -> None:
    offering = OfferingFactory.create(
        microcredential__unit=unit, microcredential__title="Grant Writing", price_minor=45000, capacity=5
    )
    learner = UserFactory.create(email="kim@example.test")
    enrollment_services.enrollment_create(tenant=tenant, learner=learner, offering_id=offering.pk)
    sign_in(make_staff(tenant, StaffRole.UNIT_ADMIN, [unit]))
    page.goto(f"/console/offerings/{offering.pk}/roster/")
    page.get_by_role("button", name="Waive the fee…").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Waive the fee")
    assert_accessible(page, "the waive page")
    assert_no_horizontal_scroll(page, "the waive page")
    page.get_by_label("Why the fee is waived").fill("Community bursary")
    page.get_by_role("button", name="Waive the fee and confirm the seat").click()
    expect(page.get_by_role("status").or_(page.locator(".alert-success")).first).to_contain_text("Fee waived")
    expect(page.get_by_text("Fee waived: Community bursary")).to_be_visible()

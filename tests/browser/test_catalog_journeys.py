"""Catalog journeys in a real browser: a learner on a phone, a unit admin publishing."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, ViewportSize, expect

from catalog.models import DeliveryMode, Offering
from tenants.models import StaffRole, Tenant, Unit
from tests.browser.a11y import assert_accessible, assert_no_horizontal_scroll
from tests.catalog.factories import MicrocredentialFactory, OfferingFactory, RefundPolicyFactory
from tests.factories import TenantFactory, UnitFactory, make_staff

PHONE: ViewportSize = {"width": 360, "height": 780}


@pytest.fixture
def tenant(transactional_db) -> Tenant:
    return TenantFactory.create(name="Alpha University", hosts=["localhost"], time_zone="America/Chicago")


@pytest.fixture
def units(tenant: Tenant) -> tuple[Unit, Unit]:
    ce = UnitFactory.create(
        tenant=tenant, slug="continuing-ed", name="Continuing Education", primary_colour="#1f4e79"
    )
    nursing = UnitFactory.create(
        tenant=tenant, slug="nursing", name="College of Nursing", primary_colour="#f2c14e", tagline="Care"
    )
    return ce, nursing


@pytest.mark.browser
def test_learner_finds_an_offering_by_search_and_filter_on_a_phone(page: Page, tenant: Tenant, units):
    ce, nursing = units
    RefundPolicyFactory.create(unit=ce, tiers=[(14, 100), (3, 50)], cancellation_fee_minor=2500)
    soon = timezone.now() + timedelta(days=20)
    python = MicrocredentialFactory.create(
        unit=ce,
        title="Python for Data Analysis",
        summary="Clean and chart real data with pandas.",
        skills="Python, pandas",
    )
    OfferingFactory.create(microcredential=python, starts_at=soon, capacity=20, seats_taken=17)
    OfferingFactory.create(
        microcredential=python,
        starts_at=soon + timedelta(days=40),
        delivery_mode=DeliveryMode.IN_PERSON,
        location="Downtown Campus, Room 210",
    )
    OfferingFactory.create(microcredential__unit=ce, microcredential__title="SQL Fundamentals", price_minor=0)
    OfferingFactory.create(microcredential__unit=nursing, microcredential__title="Wound Care", starts_at=soon)
    page.set_viewport_size(PHONE)

    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Alpha University")
    assert_accessible(page, "catalog home")
    assert_no_horizontal_scroll(page, "catalog home")

    page.get_by_label("Search courses").fill("python")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.get_by_role("status")).to_have_text("2 courses")

    page.get_by_text("Filters", exact=True).click()
    page.get_by_label("Delivery").select_option(label="Online")
    page.get_by_role("button", name="Apply filters").click()

    expect(page.get_by_role("status")).to_have_text("1 course")
    expect(page).to_have_url(re.compile(r"[?&]q=python(&|$)"))
    expect(page).to_have_url(re.compile(r"[?&]mode=online(&|$)"))
    card = page.locator(".offering-card")
    expect(card).to_have_count(1)
    expect(card).to_contain_text("3 seats left")
    expect(card).to_contain_text("$1,250.00")
    assert_accessible(page, "search results with filters")
    assert_no_horizontal_scroll(page, "search results with filters")

    shared = page.url
    card.get_by_role("link", name="Python for Data Analysis").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Python for Data Analysis")
    expect(page.get_by_text("A full refund if you cancel more than 14 days before the start")).to_be_visible()
    expect(page.get_by_text("A cancellation fee of $25.00 is kept from any refund.")).to_be_visible()
    expect(page.get_by_role("link", name="Enroll", exact=True)).to_be_visible()
    assert_accessible(page, "offering page")
    assert_no_horizontal_scroll(page, "offering page")

    # The search is a shareable address: opening it again shows the same result.
    page.goto(shared)
    expect(page.locator(".offering-card")).to_have_count(1)

    page.goto("/u/nursing/")
    expect(page.get_by_role("heading", level=1)).to_have_text("College of Nursing")
    expect(page.locator(".offering-card")).to_have_count(1)
    assert_accessible(page, "unit catalog page")
    assert_no_horizontal_scroll(page, "unit catalog page")


@pytest.mark.browser
def test_unit_admin_creates_and_publishes_an_offering_and_sees_it_in_the_catalog(
    page: Page, tenant: Tenant, units, sign_in
):
    ce, _nursing = units
    RefundPolicyFactory.create(unit=ce, name="Standard", tiers=[(14, 100)])
    sign_in(make_staff(tenant, StaffRole.UNIT_ADMIN, [ce]))

    page.goto("/console/")
    page.get_by_role("link", name="Catalog", exact=True).click()
    page.get_by_role("link", name="New microcredential").click()
    page.get_by_label("Title").fill("Kubernetes Operations")
    page.get_by_label("Summary").fill("Run containers in production.")
    page.get_by_label("Learning outcomes").fill("Deploy a cluster\nRoll out without downtime")
    page.get_by_label("Skills").fill("Kubernetes, Helm")
    page.get_by_label("Credit value").fill("2.5")
    page.get_by_role("button", name="Save as draft").click()
    expect(page.get_by_role("status")).to_contain_text("“Kubernetes Operations” saved as a draft.")
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_role("status")).to_contain_text("Published")

    page.get_by_role("link", name="New offering").click()
    page.get_by_label("Cohort name").fill("Spring evening")
    page.get_by_label("Starts", exact=True).fill("2031-03-04T18:00")
    page.get_by_label("Ends", exact=True).fill("2031-04-08T21:00")
    page.get_by_label("Enrollment opens").fill("2026-01-05T09:00")
    page.get_by_label("Enrollment closes").fill("2031-03-01T23:00")
    page.get_by_label("Online", exact=True).check()
    page.get_by_label("Capacity (seats)").fill("25")
    page.get_by_label("Price").fill("12.345")  # one decimal too many for dollars
    page.get_by_role("button", name="Save as draft").click()

    expect(page.locator("#id_price_error")).to_have_text("USD has 2 decimal places at most.")
    expect(page.get_by_label("Cohort name")).to_have_value("Spring evening")
    expect(page.get_by_label("Capacity (seats)")).to_have_value("25")
    assert_accessible(page, "offering form with an error")
    assert_no_horizontal_scroll(page, "offering form with an error")

    page.get_by_label("Price").fill("1250")
    page.get_by_role("button", name="Save as draft").click()
    expect(page.get_by_role("status")).to_contain_text("Offering saved as a draft.")
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_role("status")).to_contain_text("Published: learners can see it in the catalog.")
    offering = Offering.objects.get(microcredential__title="Kubernetes Operations")
    assert (offering.status, offering.price_minor, offering.capacity) == ("published", 125000, 25)

    page.get_by_role("link", name="View public page").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Kubernetes Operations")
    page.get_by_role("link", name="All courses").click()
    card = page.locator(".offering-card", has_text="Kubernetes Operations")
    expect(card).to_contain_text("$1,250.00")
    expect(card).to_contain_text("25 seats left")
    expect(card).to_contain_text("4 Mar – 8 Apr 2031")

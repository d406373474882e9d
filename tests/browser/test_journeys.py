"""Journeys through a real browser. The tenant answers on "localhost", the live server's host."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tenants.models import StaffRole, Tenant, Unit
from tests.browser.a11y import assert_accessible, assert_no_horizontal_scroll
from tests.factories import PASSWORD, TenantFactory, UnitFactory, make_staff, totp_code


@pytest.fixture
def tenant(transactional_db) -> Tenant:
    # A long address without hyphens, as real ones are: the footer must still fit a phone.
    return TenantFactory.create(
        name="Alpha University",
        hosts=["localhost"],
        contact_email="continuingeducationenquiries@alphauniversity.example.edu",
    )


@pytest.mark.browser
def test_tenant_admin_creates_a_unit_whose_page_wears_its_colour(page: Page, tenant: Tenant):
    admin = make_staff(tenant, StaffRole.TENANT_ADMIN)

    page.goto("/accounts/login/")
    page.get_by_label("E-mail address").fill(admin.email)
    page.get_by_text("Sign in with a password instead").click()
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in with password").click()
    # Tenant admins have an authenticator app; the console is behind it.
    expect(page.get_by_role("heading", level=1)).to_have_text("Two-factor authentication")
    page.get_by_label("Code").fill(totp_code())
    page.get_by_role("button", name="Sign in", exact=True).click()

    page.get_by_role("link", name="Staff console").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Staff console")
    page.get_by_role("link", name="Units", exact=True).click()
    page.get_by_role("link", name="New unit").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New unit")

    page.get_by_label("Name", exact=True).fill("College of Nursing")
    page.get_by_label("Slug").fill("nursing")
    page.get_by_label("Primary colour").fill("#7a1f3d")
    page.get_by_label("GL / cost-centre code").fill("NUR-4300")
    page.get_by_role("button", name="Create unit").click()

    expect(page.get_by_role("status")).to_contain_text("Unit “College of Nursing” created.")
    unit = Unit.objects.get(tenant=tenant, slug="nursing")
    assert (unit.primary_colour, unit.gl_code) == ("#7a1f3d", "NUR-4300")

    page.get_by_role("link", name="View public page").click()
    expect(page).to_have_url(re.compile(r"/u/nursing/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("College of Nursing")
    header = page.locator(".site-header")
    assert header.evaluate("el => getComputedStyle(el).backgroundColor") == "rgb(122, 31, 61)"


@pytest.mark.browser
@pytest.mark.parametrize("where", ["tenant home", "unit page", "sign-in page", "unit form with errors"])
def test_pages_pass_axe_and_reflow_at_360px(page: Page, tenant: Tenant, sign_in, where: str):
    UnitFactory.create(tenant=tenant, slug="business", name="Alpha Business School", tagline="Lead well")
    UnitFactory.create(
        tenant=tenant,
        slug="nursing",
        name="College of Nursing and Interprofessional Health",
        primary_colour="#f2c14e",
        contact_email="nursingadmissionsoffice@alphauniversity.example.edu",
    )

    if where == "tenant home":
        page.goto("/")
    elif where == "unit page":
        page.goto("/u/nursing/")
    elif where == "sign-in page":
        page.goto("/accounts/login/")
    else:
        sign_in(make_staff(tenant, StaffRole.TENANT_ADMIN))
        page.goto("/console/units/new/")
        page.get_by_label("Slug").fill("Not A Slug")
        page.get_by_role("button", name="Create unit").click()
        expect(page.get_by_role("alert").first).to_contain_text("Please correct the fields")
        expect(page.locator(".field.has-error")).to_have_count(3)

    assert_accessible(page, where)
    assert_no_horizontal_scroll(page, where)


@pytest.mark.browser
def test_axe_check_catches_a_violation(page: Page, tenant: Tenant):
    """The accessibility check is not vacuous: an image without alt text fails it."""
    page.set_content(
        '<html lang="en"><head><title>t</title></head><body><main><img src="x.png"></main></body></html>'
    )

    with pytest.raises(AssertionError, match=r"image-alt \[critical\]"):
        assert_accessible(page, "a page with an unlabelled image")

"""The provider's console in a real browser: a tenant admin registers their LMS as a sign-in
client and sees its secret once; a unit admin adds an entitlement. Pages pass axe and reflow at
390 px (BROWSER_SCREENSHOTS=<dir> keeps each at 390 and 1280 px)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from access.models import Entitlement, RelyingParty
from tenants.models import StaffRole, Tenant
from tests.browser.a11y import assert_accessible, assert_no_horizontal_scroll
from tests.catalog.factories import OfferingFactory
from tests.factories import TenantFactory, UnitFactory, make_staff


@pytest.fixture
def tenant(transactional_db) -> Tenant:
    return TenantFactory.create(name="Alpha University", hosts=["localhost"])


def _look(page: Page, what: str) -> None:
    assert_accessible(page, what)
    assert_no_horizontal_scroll(page, what)
    page.set_viewport_size({"width": 1280, "height": 800})


@pytest.mark.browser
def test_a_tenant_admin_registers_the_lms_and_sees_the_secret_once(page: Page, tenant: Tenant, sign_in):
    unit = UnitFactory.create(tenant=tenant, slug="nursing", name="Alpha Nursing")
    sign_in(make_staff(tenant, StaffRole.TENANT_ADMIN))
    page.goto("/console/sign-in-clients/")
    _look(page, "sign-in clients, none yet")
    page.goto("/console/sign-in-clients/new/")
    page.get_by_role("textbox", name="Name").fill("Nursing Moodle")
    page.get_by_label("Whose system").select_option(label="Alpha Nursing")
    page.get_by_label("Redirect URIs").fill("https://moodle.nursing.example.edu/admin/oauth2callback.php")
    page.get_by_label("Our own system: no consent screen").check()
    _look(page, "register a sign-in client")
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_role("alert")).to_contain_text("shown only this once")
    secret = page.locator("code").last.inner_text()
    assert len(secret) >= 30
    _look(page, "the client secret, shown once")
    rp = RelyingParty.objects.get()
    assert (rp.name, rp.unit_id, rp.first_party) == ("Nursing Moodle", unit.pk, True)

    page.reload()
    expect(page.get_by_text(secret)).to_have_count(0)
    page.goto("/console/sign-in-clients/")
    expect(page.get_by_role("link", name="Nursing Moodle")).to_be_visible()
    _look(page, "sign-in clients")


@pytest.mark.browser
def test_a_unit_admin_adds_library_access_to_an_offering(page: Page, tenant: Tenant, sign_in):
    unit = UnitFactory.create(tenant=tenant, slug="nursing", name="Alpha Nursing")
    offering = OfferingFactory.create(microcredential__unit=unit, microcredential__title="Wound care")
    sign_in(make_staff(tenant, StaffRole.UNIT_ADMIN, [unit]))
    page.goto("/console/entitlements/")
    _look(page, "entitlements, none yet")
    page.get_by_label("Granted by").select_option(index=1)
    page.get_by_label("Name").fill("Library e-resources")
    page.get_by_label("Identifier").fill("urn:mace:dir:entitlement:common-lib-terms")
    page.get_by_label("Days after the end").fill("30")
    page.get_by_role("button", name="Add").click()
    expect(page.get_by_role("rowheader", name="Library e-resources")).to_be_visible()
    _look(page, "entitlements")
    found = Entitlement.objects.get()
    assert found.days_after_end == 30
    assert found.microcredential_id == offering.microcredential_id or found.offering_id == offering.pk

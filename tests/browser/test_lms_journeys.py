"""A unit admin connects their unit's Moodle in a real browser: the form, a wrong token's
message after "Test connection", then the LMS's answer; the pages pass axe and reflow at 390 px."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

import lms_local
from tenants.models import StaffRole
from tests.browser.a11y import assert_accessible, assert_no_horizontal_scroll
from tests.factories import TenantFactory, UnitFactory, make_staff


@pytest.mark.browser
def test_a_unit_admin_connects_and_tests_their_moodle(
    page: Page, live_server: LiveServer, transactional_db, sign_in
):
    tenant = TenantFactory.create(name="Alpha University", hosts=["localhost"])
    unit = UnitFactory.create(tenant=tenant, slug="continuing-ed", name="Alpha Continuing Education")
    admin = make_staff(tenant, StaffRole.UNIT_ADMIN, [unit])
    sign_in(admin)
    with lms_local.running(kind="moodle", token="right-token") as moodle:
        page.goto("/console/")
        page.get_by_role("navigation", name="Staff console").get_by_role("link", name="LMS").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("LMS connections")
        assert_accessible(page, "the LMS connections page")
        assert_no_horizontal_scroll(page, "the LMS connections page")
        page.get_by_role("link", name="Connect an LMS for Alpha Continuing Education").click()

        page.get_by_label("LMS", exact=True).select_option("moodle")
        page.get_by_label("LMS address").fill(moodle.url)
        page.get_by_label("Token").fill("wrong-token")
        page.get_by_role("button", name="Save").click()
        expect(page.get_by_text("LMS connection saved.")).to_be_visible()
        expect(page.get_by_text("set (never shown again)")).to_be_visible()

        page.get_by_role("button", name="Test connection").click()
        expect(
            page.get_by_text("The test failed: Moodle does not know this web-service token.")
        ).to_be_visible()
        assert_accessible(page, "an LMS connection whose test failed")
        assert_no_horizontal_scroll(page, "an LMS connection whose test failed")

        page.get_by_label("Token").fill("right-token")
        page.get_by_role("button", name="Save").click()
        page.get_by_role("button", name="Test connection").click()
        expect(page.get_by_text("The LMS answered: Local Moodle (lms_local)")).to_be_visible()

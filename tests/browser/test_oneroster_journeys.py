"""OneRoster in a real browser: a tenant admin registers the LMS that reads the roster, copies
the base URL, token URL and the secret shown once, and the LMS then reads the roster with them;
a unit admin downloads their units' OneRoster zip. Pages pass axe and reflow at 390 px
(BROWSER_SCREENSHOTS=<dir> keeps each at 390 and 1280 px)."""

from __future__ import annotations

import zipfile
from datetime import timedelta

import pytest
import requests
from django.utils import timezone
from playwright.sync_api import Page, expect

from access.models import RelyingParty
from enrollment.models import Enrollment, EnrollmentStatus
from tenants.models import StaffRole, Tenant
from tests.browser.a11y import assert_accessible, assert_no_horizontal_scroll
from tests.catalog.factories import OfferingFactory
from tests.factories import TenantFactory, UnitFactory, UserFactory, make_staff


@pytest.fixture
def tenant(transactional_db) -> Tenant:
    return TenantFactory.create(name="Alpha University", hosts=["localhost"])


def _look(page: Page, what: str) -> None:
    assert_accessible(page, what)
    assert_no_horizontal_scroll(page, what)
    page.set_viewport_size({"width": 1280, "height": 800})


def _definition(page: Page, term: str) -> str:
    return page.locator(f"dt:has-text('{term}') + dd").inner_text().strip()


@pytest.mark.browser
def test_a_tenant_admin_registers_a_roster_reader_which_then_reads_the_roster(
    page: Page, tenant: Tenant, sign_in, live_server, settings, monkeypatch
):
    monkeypatch.setitem(settings.DATABASES["default"], "CONN_MAX_AGE", 0)
    unit = UnitFactory.create(tenant=tenant, slug="nursing", name="Alpha Nursing")
    offering = OfferingFactory.create(
        microcredential__unit=unit,
        microcredential__title="Wound care",
        starts_at=timezone.now() + timedelta(days=5),
    )
    learner = UserFactory.create(email="ada@learners.test", full_name="Ada Lovelace")
    Enrollment.objects.create(
        tenant=tenant, offering=offering, learner=learner, status=EnrollmentStatus.CONFIRMED
    )
    sign_in(make_staff(tenant, StaffRole.TENANT_ADMIN))

    page.goto("/console/oneroster/")
    _look(page, "oneroster, no client yet")
    page.get_by_role("link", name="Register a OneRoster client").click()
    page.get_by_role("textbox", name="Name").fill("Nursing Brightspace")
    page.get_by_label("Whose roster").select_option(label="Alpha Nursing")
    _look(page, "register a oneroster client")
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_role("alert")).to_contain_text("shown only this once")
    _look(page, "oneroster client credentials, shown once")
    base_url, token_url = _definition(page, "Base URL"), _definition(page, "Token URL")
    client_id, secret = _definition(page, "Client id"), _definition(page, "Client secret")
    assert RelyingParty.objects.get().application.client_id == client_id

    # The LMS, with what the page showed.
    token = requests.post(
        token_url, data={"grant_type": "client_credentials"}, auth=(client_id, secret), timeout=10
    ).json()["access_token"]
    users = requests.get(f"{base_url}/users", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert [u["email"] for u in users.json()["users"]] == ["ada@learners.test"]

    page.reload()
    expect(page.get_by_text(secret)).to_have_count(0)
    page.goto("/console/oneroster/")
    expect(page.get_by_role("rowheader", name="Nursing Brightspace")).to_be_visible()
    _look(page, "oneroster clients")


@pytest.mark.browser
def test_a_unit_admin_downloads_the_oneroster_zip(page: Page, tenant: Tenant, sign_in, tmp_path):
    unit = UnitFactory.create(tenant=tenant, slug="nursing", name="Alpha Nursing")
    other = UnitFactory.create(tenant=tenant, slug="business", name="Alpha Business")
    OfferingFactory.create(microcredential__unit=unit, microcredential__title="Wound care")
    OfferingFactory.create(microcredential__unit=other, microcredential__title="Sales")
    sign_in(make_staff(tenant, StaffRole.UNIT_ADMIN, [unit]))

    page.goto("/console/")
    page.get_by_role("link", name="OneRoster").click()
    expect(page.get_by_role("heading", name="OneRoster", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Register a OneRoster client")).to_have_count(0)
    _look(page, "oneroster, unit admin")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the OneRoster zip").click()
    saved = tmp_path / "roster.zip"
    download.value.save_as(saved)
    with zipfile.ZipFile(saved) as archive:
        classes = archive.read("classes.csv").decode().splitlines()
        assert "manifest.csv" in archive.namelist()
    assert len(classes) == 2
    assert "Wound care" in classes[1]

"""Finance in a real browser: open a payout, see it tied out by unit, download the journal CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

import stripe_local
from finance.services.imports import stripe_import
from finance.services.payout_posting import payouts_post
from finance.services.reconcile import reconcile
from ledger.services import ChargeLine
from stripe_local.server import LocalStripe
from tenants.models import StaffRole, Tenant
from tests.browser.a11y import assert_accessible
from tests.factories import TenantFactory, UnitFactory, make_staff
from tests.finance.activity import charge, refund

DAY = 86_400


@pytest.fixture
def stripe_server() -> Iterator[LocalStripe]:
    with stripe_local.running(tick_interval=None, frozen_clock=True) as running:
        yield running


@pytest.fixture
def tenant(transactional_db) -> Tenant:
    return TenantFactory.create(name="Alpha University", hosts=["localhost"], time_zone="America/Chicago")


@pytest.mark.browser
def test_finance_opens_a_payout_sees_it_tied_out_by_unit_and_downloads_the_journal(
    page: Page, tenant: Tenant, stripe_server: LocalStripe, sign_in
):
    ce = UnitFactory.create(
        tenant=tenant, slug="continuing-ed", name="Continuing Education", gl_code="4000-CE"
    )
    nursing = UnitFactory.create(tenant=tenant, slug="nursing", name="College of Nursing", gl_code="4100-NUR")
    sdk, control = stripe_server.client(), stripe_server.control
    first = charge(tenant, sdk, [ChargeLine(ce.pk, 125_000, "line:1")])
    charge(tenant, sdk, [ChargeLine(nursing.pk, 45_000, "line:2"), ChargeLine(ce.pk, 5_000, "line:3")])
    refund(tenant, sdk, first, ce, 25_000)
    control.advance_clock(2 * DAY + 1)
    payout_id = control.trigger_payout("usd")["id"]
    control.advance_clock(DAY + 1)
    stripe_import(tenant=tenant, client=sdk, trigger="test")
    payouts_post(tenant=tenant)
    reconcile(tenant=tenant)
    sign_in(make_staff(tenant, StaffRole.FINANCE, all_units=True))

    page.goto("/console/")
    page.get_by_role("link", name="Finance").click()
    expect(page.get_by_role("heading", name="Payouts")).to_be_visible()
    row = page.get_by_role("row").filter(has_text=payout_id)
    expect(row).to_contain_text("Ties out")
    row.get_by_role("link").first.click()

    expect(page.locator("#tie-out")).to_contain_text("Ties out")
    units = page.locator("#units")
    expect(units.get_by_role("row").filter(has_text="Continuing Education")).to_contain_text("$1,300.00")
    expect(units.get_by_role("row").filter(has_text="Continuing Education")).to_contain_text("$250.00")
    expect(units.get_by_role("row").filter(has_text="College of Nursing")).to_contain_text("$450.00")
    assert_accessible(page, "payout detail")

    page.get_by_role("link", name="GL journal exports").click()
    page.get_by_label("Export entries up to and including").fill("2099-12-31")
    page.get_by_role("button", name="Export journal").click()
    expect(page.locator(".alert-success")).to_contain_text("balanced")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download journal").first.click()
    raw = download.value.path().read_bytes()
    assert raw.startswith("\ufeff".encode())
    lines = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    debit = sum(int(float(r["debit"] or 0) * 100) for r in lines)
    credit = sum(int(float(r["credit"] or 0) * 100) for r in lines)
    assert debit == credit > 0
    assert {r["gl_code"] for r in lines if r["unit"] == "nursing"} == {"4100-NUR"}
    assert any(r["source_ref"] == payout_id and r["account"] == "bank" for r in lines)

"""The learner's record in a real browser: My learning record, making and revoking a share link,
the shared page and the transcript pass axe and reflow at 390 px. CREDENTIAL_SCREENSHOTS=<dir>
keeps a screenshot of each page at 390 and 1280 px there."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from catalog.models import CreditType
from credentials.models import RecordShare
from tenants.models import Tenant
from tests.browser.a11y import assert_accessible, assert_no_horizontal_scroll
from tests.credentials.record_world import accept_prior_learning, award_stack, complete, course
from tests.factories import StaffRole, TenantFactory, UnitFactory, UserFactory, make_staff

SHOTS = os.environ.get("CREDENTIAL_SCREENSHOTS", "")


@pytest.fixture
def tenant(transactional_db) -> Tenant:
    return TenantFactory.create(name="Alpha University", hosts=["localhost"])


def _look(page: Page, name: str) -> None:
    assert_accessible(page, name)
    assert_no_horizontal_scroll(page, name)
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        for width in (390, 1280):
            page.set_viewport_size({"width": width, "height": 800})
            page.screenshot(path=Path(SHOTS) / f"{name}-{width}.png", full_page=True)


@pytest.mark.browser
def test_a_learner_reads_shares_and_prints_their_record(
    page: Page, live_server: LiveServer, tenant: Tenant, sign_in, monkeypatch
):
    monkeypatch.setattr("core.jobs.enqueue", lambda *args, **kwargs: True)
    unit = UnitFactory.create(tenant=tenant, slug="continuing-ed", name="Alpha Continuing Education")
    business = UnitFactory.create(tenant=tenant, slug="business", name="Alpha Business School")
    learner = UserFactory.create(full_name="Ada Lovelace")
    python = course(unit, "Data Analysis with Python and pandas", "3")
    sql = course(unit, "SQL for Analysts", "2", CreditType.ECTS)
    stack = course(unit, "Data Analytics Certificate", "0", parts=[python, sql])
    course(unit, "Machine Learning Pathway", "0", parts=[python, course(unit, "Machine Learning Basics")])
    complete(python, learner, "A")
    complete(sql, learner, "Pass")
    award_stack(stack, learner)
    accept_prior_learning(
        course(business, "Accounting Basics", "4"),
        learner,
        decided_by=make_staff(tenant, StaffRole.TENANT_ADMIN),
    )
    sign_in(learner)

    page.goto("/my/credentials/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="My learning record").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My learning record")
    expect(page.get_by_text("7 CEU")).to_be_visible()
    expect(
        page.get_by_text("Recognised prior learning: Intro to Python, from Gamma Polytechnic")
    ).to_be_visible()
    expect(page.get_by_text("1 of 2 parts")).to_be_visible()
    page.get_by_role("button", name="Make a new link").click()
    expect(page.get_by_text("A new link to your record is ready")).to_be_visible()
    share = RecordShare.objects.get(learner=learner)
    link = page.get_by_role("textbox", name="Link made")
    expect(link).to_have_value(f"{live_server.url}/records/{share.token}/")
    _look(page, "my-record")

    page.goto(f"/records/{share.token}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Learner record: Ada Lovelace")
    expect(page.get_by_text("Verified: every check below passed.")).to_be_visible()
    _look(page, "record-shared")

    page.goto("/my/record/transcript/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Transcript: Alpha University")
    expect(page.get_by_role("rowheader", name="SQL for Analysts")).to_be_visible()
    _look(page, "transcript")

    page.goto("/my/record/")
    page.get_by_role("button", name="Revoke this link").click()
    expect(page.get_by_text("The link is revoked")).to_be_visible()
    gone = page.goto(f"/records/{share.token}/")
    assert gone is not None
    assert gone.status == 404

"""The learner's credentials in a real browser: My credentials and a credential's share page
(valid and revoked) pass axe and reflow at 390 px. CREDENTIAL_SCREENSHOTS=<dir> keeps a
screenshot of each page at 390 and 1280 px there."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from credentials import learner_views
from credentials.models import CredentialStatus
from tenants.models import Tenant
from tests.browser.a11y import assert_accessible, assert_no_horizontal_scroll
from tests.credentials.pages_world import make_credential, verdict
from tests.factories import TenantFactory, UnitFactory, UserFactory

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
def test_a_learner_sees_shares_and_checks_their_credentials(
    page: Page, live_server: LiveServer, tenant: Tenant, sign_in, monkeypatch
):
    unit = UnitFactory.create(
        tenant=tenant, slug="continuing-ed", name="Alpha Continuing Education", primary_colour="#7a1f5c"
    )
    learner = UserFactory.create(full_name="Ada Lovelace")
    valid = make_credential(learner=learner, unit=unit, title="Data Analysis with Python and pandas")
    make_credential(
        learner=learner,
        unit=unit,
        title="Welding I",
        status=CredentialStatus.SUSPENDED,
        reason="Under review",
    )
    revoked = make_credential(
        learner=learner,
        unit=unit,
        title="Forklift Safety",
        status=CredentialStatus.REVOKED,
        reason="The completion was recorded in error.",
    )
    answers = {valid.public_id: verdict(), revoked.public_id: verdict(failing="status")}
    monkeypatch.setattr(learner_views, "verify_credential", lambda credential: answers[credential.public_id])
    sign_in(learner)

    page.goto("/my/learning/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="My credentials").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My credentials")
    expect(page.get_by_role("heading", name="Data Analysis with Python and pandas")).to_be_visible()
    expect(page.get_by_text("Suspended by the issuer for now: Under review")).to_be_visible()
    _look(page, "my-credentials")

    page.set_viewport_size({"width": 1280, "height": 800})
    page.get_by_role("link", name="Data Analysis with Python and pandas").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Data Analysis with Python and pandas")
    expect(page.get_by_text("Verified just now")).to_be_visible()
    expect(page.get_by_label("This page's address")).to_have_value(
        f"{live_server.url}/credentials/{valid.public_id}/"
    )
    _look(page, "share-valid")

    page.goto(f"/credentials/{revoked.public_id}/")
    expect(page.get_by_role("alert")).to_contain_text("This credential has been revoked")
    _look(page, "share-revoked")

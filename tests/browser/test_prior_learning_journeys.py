"""Prior learning in a real browser: a learner uploads another institution's Open Badge (the
DCC example, signed by did:key), unit staff accept it toward a stack's part in the console, the
learner's stack is awarded and they are told. Pages pass axe and reflow at 390 px.
CREDENTIAL_SCREENSHOTS=<dir> keeps a screenshot of each page at 390 and 1280 px there."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core import mail
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from credentials.models import Credential, CredentialKind
from microcred.celery import app
from tenants.models import StaffRole, Tenant
from tests.browser.a11y import assert_accessible, assert_no_horizontal_scroll
from tests.catalog.factories import MicrocredentialFactory
from tests.credentials.record_world import complete
from tests.factories import TenantFactory, UnitFactory, UserFactory, make_staff

SHOTS = os.environ.get("CREDENTIAL_SCREENSHOTS", "")
PART = "Introduction to Data (Alpha Continuing Education)"
DCC = Path(__file__).resolve().parents[1] / "credentials" / "fixtures" / "dcc-basic-obv3.json"


@pytest.fixture
def tenant(transactional_db) -> Tenant:
    return TenantFactory.create(name="Alpha University", hosts=["localhost"])


@pytest.fixture
def jobs_run_inline(settings, live_server: LiveServer) -> Iterator[None]:
    settings.PUBLIC_PORT = str(live_server.thread.port)
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


def _look(page: Page, name: str) -> None:
    assert_accessible(page, name)
    assert_no_horizontal_scroll(page, name)
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        for width in (390, 1280):
            page.set_viewport_size({"width": width, "height": 800})
            page.screenshot(path=Path(SHOTS) / f"{name}-{width}.png", full_page=True)
        page.set_viewport_size({"width": 1280, "height": 800})


@pytest.mark.browser
def test_uploaded_prior_learning_is_accepted_by_staff_and_completes_the_stack(
    page: Page, live_server: LiveServer, tenant: Tenant, sign_in, jobs_run_inline
):
    unit = UnitFactory.create(tenant=tenant, slug="continuing-ed", name="Alpha Continuing Education")
    sql = MicrocredentialFactory.create(unit=unit, title="SQL for Analysts")
    intro = MicrocredentialFactory.create(unit=unit, title="Introduction to Data")
    MicrocredentialFactory.create(unit=unit, title="Data Analyst", parts=[sql, intro])
    learner = UserFactory.create(email="ada@example.test", full_name="Ada Lovelace")
    complete(sql, learner, "A")
    mail.outbox.clear()

    sign_in(learner)
    page.goto("/my/credentials/")
    page.get_by_role("link", name="Upload a credential from another institution").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Prior learning")
    page.get_by_label("Or a credential file (.json)").set_input_files(str(DCC))
    page.get_by_label("Count it toward").select_option(label=PART)
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_text("Waiting for a decision").first).to_be_visible()
    _look(page, "prior-learning-uploaded")

    page.context.clear_cookies()
    sign_in(make_staff(tenant, StaffRole.UNIT_ADMIN, [unit]))
    page.goto("/console/recognitions/")
    _look(page, "console-recognitions")
    page.get_by_role("table").get_by_role("link").first.click()
    expect(page.get_by_role("heading", name="Verified when uploaded")).to_be_visible()
    _look(page, "console-recognition")
    page.get_by_label("Counts toward").select_option(label=PART)
    page.get_by_role("button", name="Accept", exact=True).click()
    expect(page.get_by_text("Accepted").first).to_be_visible()

    # The learner is told of the decision and of the stack it completed.
    subjects = [m.subject for m in mail.outbox if m.to == ["ada@example.test"]]
    assert subjects == [
        "[Alpha Continuing Education] Your prior learning is recognised: Teamwork",
        "[Alpha Continuing Education] You earned Data Analyst",
    ]
    stack = Credential.objects.get(learner=learner, kind=CredentialKind.STACK)
    assert [e["genre"] for e in stack.document["evidence"]] == ["Recognition of prior learning", "Credential"]

    page.context.clear_cookies()
    sign_in(learner)
    page.goto("/my/credentials/prior-learning/")
    expect(page.get_by_text("Accepted").first).to_be_visible()
    page.goto("/my/credentials/")
    expect(page.get_by_role("heading", name="Data Analyst")).to_be_visible()

"""The learner's credentials in a real browser: My credentials and a credential's share page
(valid and revoked) pass axe and reflow at 390 px. CREDENTIAL_SCREENSHOTS=<dir> keeps a
screenshot of each page at 390 and 1280 px there."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect
from pytest_django.live_server_helper import LiveServer

from credentials import learner_views
from credentials.models import CredentialStatus
from credentials.services.issue import credential_issue
from enrollment.models import Enrollment, EnrollmentStatus
from microcred.celery import app
from tenants.models import StaffRole, Tenant
from tests.browser.a11y import assert_accessible, assert_no_horizontal_scroll
from tests.catalog.factories import MicrocredentialFactory, OfferingFactory
from tests.credentials.pages_world import make_credential, verdict
from tests.factories import TenantFactory, UnitFactory, UserFactory, make_staff

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


SHARE_LINK = re.compile(r"http://localhost:\d+(/credentials/[0-9a-f-]{36}/)")


@pytest.fixture
def jobs_run_inline(settings, live_server: LiveServer) -> Iterator[None]:
    """Celery tasks run where they are queued (the live server's thread): issuing, the stacks
    check, the e-mails; links in e-mails and credentials point at the live server's port."""
    settings.PUBLIC_PORT = str(live_server.thread.port)
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


@pytest.mark.browser
def test_staff_complete_a_learner_who_gets_the_credential_by_mail_shares_it_and_earns_the_stack(
    page: Page, browser: Browser, live_server: LiveServer, tenant: Tenant, sign_in, jobs_run_inline
):
    unit = UnitFactory.create(tenant=tenant, slug="continuing-ed", name="Alpha Continuing Education")
    sql = MicrocredentialFactory.create(unit=unit, title="SQL for Analysts")
    python = MicrocredentialFactory.create(unit=unit, title="Python for Analysts")
    MicrocredentialFactory.create(unit=unit, title="Data Analyst", parts=[sql, python])
    learner = UserFactory.create(email="ada@example.test", full_name="Ada Lovelace")
    started = timezone.now() - timedelta(days=40)
    past = {
        "starts_at": started,
        "enrollment_opens_at": started - timedelta(days=30),
        "enrollment_closes_at": started - timedelta(days=1),
        "price_minor": 0,
    }
    done_before = OfferingFactory.create(microcredential=sql, **past)
    Enrollment.objects.create(
        tenant=tenant, offering=done_before, learner=learner, status=EnrollmentStatus.COMPLETED
    )
    credential_issue(enrollment_id=Enrollment.objects.get(offering=done_before).pk)
    offering = OfferingFactory.create(microcredential=python, **past)
    enrollment = Enrollment.objects.create(
        tenant=tenant, offering=offering, learner=learner, status=EnrollmentStatus.CONFIRMED
    )
    mail.outbox.clear()

    # Unit staff record the completion on the roster.
    sign_in(make_staff(tenant, StaffRole.UNIT_ADMIN, [unit]))
    page.goto(f"/console/offerings/{offering.pk}/roster/")
    page.get_by_text("Actions", exact=True).click()
    page.get_by_label("Outcome").select_option(label="Completed")
    page.get_by_label("Result or grade (optional)").first.fill("A")
    page.get_by_role("button", name="Save completion").click()
    expect(
        page.locator(f"#row-{enrollment.pk}, tr").filter(has_text="ada@example.test").first
    ).to_contain_text("Completed")

    # The learner gets two e-mails: the course's credential, then the stack's.
    to_ada = [m for m in mail.outbox if m.to == ["ada@example.test"]]
    assert [m.subject for m in to_ada] == [
        "[Alpha Continuing Education] You earned Python for Analysts",
        "[Alpha Continuing Education] You earned Data Analyst",
    ]
    link = SHARE_LINK.search(str(to_ada[0].body))
    assert link is not None

    learner_context = browser.new_context(base_url=live_server.url, viewport={"width": 390, "height": 800})
    learner_page = learner_context.new_page()
    client = Client()
    client.force_login(learner)
    learner_context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    learner_page.goto(link.group(1))
    expect(learner_page.get_by_role("heading", level=1)).to_have_text("Python for Analysts")
    expect(learner_page.get_by_text("Verified just now")).to_be_visible()
    share_address = learner_page.get_by_label("This page's address").input_value()
    assert share_address == f"{live_server.url}{link.group(1)}"

    # Anyone with the address (not signed in) sees it verify.
    anyone_context = browser.new_context(base_url=live_server.url)
    anyone = anyone_context.new_page()
    anyone.goto(share_address)
    expect(anyone.get_by_text("Verified just now")).to_be_visible()
    expect(anyone.get_by_text("Ada Lovelace").first).to_be_visible()
    anyone_context.close()

    # My credentials has the stack too; its page names both parts and verifies.
    learner_page.goto("/my/credentials/")
    learner_page.get_by_role("link", name="Data Analyst").click()
    expect(learner_page.get_by_role("heading", name="Parts of this stack")).to_be_visible()
    expect(learner_page.get_by_role("link", name="SQL for Analysts")).to_be_visible()
    expect(learner_page.get_by_role("link", name="Python for Analysts")).to_be_visible()
    expect(learner_page.get_by_text("Verified just now")).to_be_visible()
    _look(learner_page, "share-stack")
    learner_context.close()

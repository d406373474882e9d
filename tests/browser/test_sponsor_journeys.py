"""Employer-sponsored seats in a real browser: a unit admin adds an employer and reserves 20
seats by invoice (sent through the local Stripe); the employer's contact opens the portal,
uploads a CSV of 20 e-mails with one bad row and is told which, then the corrected file, and
sees every seat redeemed; the learners have confirmed seats without a card."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core import mail
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

import stripe_local
from enrollment.models import Enrollment, EnrollmentStatus
from microcred.celery import app
from payments.services.stripe_settings import stripe_settings_save
from sponsors.models import EmployerContact
from stripe_local.server import LocalStripe
from tenants.models import StaffRole, Tenant, Unit
from tests.browser.a11y import assert_accessible, assert_no_horizontal_scroll
from tests.catalog.factories import OfferingFactory
from tests.factories import TenantFactory, UnitFactory, make_staff

WHSEC = "whsec_browser_sponsor_journeys_0123"
SHOTS = os.environ.get("JOURNEY_SCREENSHOTS", "")


@pytest.fixture
def tenant(transactional_db: None) -> Tenant:
    return TenantFactory.create(name="Alpha University", hosts=["localhost"], time_zone="America/Chicago")


@pytest.fixture
def unit(tenant: Tenant) -> Unit:
    return UnitFactory.create(tenant=tenant, slug="continuing-ed", name="Continuing Education")


@pytest.fixture
def local_stripe(settings, live_server: LiveServer, tenant: Tenant) -> Iterator[LocalStripe]:
    settings.PUBLIC_PORT = str(live_server.thread.port)
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    with stripe_local.running(
        webhook_url=f"{live_server.url}/payments/stripe/webhook/", webhook_secret=WHSEC
    ) as server:
        settings.STRIPE_API_BASE = server.url
        stripe_settings_save(tenant=tenant, secret_key="sk_test_browser", webhook_secret=WHSEC)
        yield server
    app.conf.task_always_eager = previous


def _shot(page: Page, name: str) -> None:
    """Screenshots for a person to look at, when JOURNEY_SCREENSHOTS names a folder."""
    if SHOTS:
        page.screenshot(path=Path(SHOTS) / f"{name}.png", full_page=True)


def _csv(tmp_path: Path, name: str, rows: list[str]) -> Path:
    path = tmp_path / name
    path.write_text("email\n" + "".join(f"{row}\n" for row in rows), encoding="utf-8")
    return path


@pytest.mark.browser
def test_an_employer_contact_enrols_twenty_people_from_a_csv_after_staff_invoiced_the_seats(
    page: Page, tenant: Tenant, unit: Unit, local_stripe: LocalStripe, sign_in, tmp_path: Path
) -> None:
    offering = OfferingFactory.create(
        microcredential__unit=unit,
        microcredential__title="Supply Chain Basics",
        capacity=30,
        price_minor=50000,
    )
    sign_in(make_staff(tenant, StaffRole.UNIT_ADMIN, [unit]))
    page.goto("/console/sponsors/")
    page.get_by_role("link", name="New employer").click()
    page.get_by_label("Organisation").fill("Acme Logistics")
    page.get_by_label("Billing e-mail").fill("billing@acme.test")
    page.get_by_label("Purchase order number").fill("PO-4500012345")
    page.get_by_label("Contacts' e-mail addresses").fill("hr@acme.test")
    page.get_by_role("button", name="Add the employer").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Acme Logistics")

    page.get_by_label("Offering").select_option(str(offering.pk))
    page.get_by_label("Seats", exact=True).fill("20")
    page.get_by_label("Days to pay").fill("30")
    page.get_by_role("button", name="Reserve the seats and send the invoice").click()
    expect(page.get_by_role("status")).to_contain_text(
        "20 seats reserved and the invoice sent to billing@acme.test"
    )
    pools = page.get_by_role("table", name="Seat pools")
    expect(pools).to_contain_text("Supply Chain Basics")
    expect(pools).to_contain_text("$10,000.00")
    expect(pools).to_contain_text("Invoiced")
    assert_accessible(page, "the employer's console page")
    _shot(page, "sponsor-console-1280")
    page.set_viewport_size({"width": 390, "height": 844})
    assert_no_horizontal_scroll(page, "the employer's console page")
    _shot(page, "sponsor-console-390")

    page.context.clear_cookies()
    sign_in(EmployerContact.objects.get(employer__organisation="Acme Logistics").user)
    page.goto("/sponsor/")
    portal = page.get_by_role("table", name="Seat pools")
    expect(portal).to_contain_text("Supply Chain Basics")
    expect(portal.get_by_role("row").nth(1)).to_contain_text("20")
    assert_accessible(page, "the sponsor portal")
    assert_no_horizontal_scroll(page, "the sponsor portal")
    _shot(page, "sponsor-portal-390")

    people = [f"worker{n}@acme.test" for n in range(1, 21)]
    page.get_by_role("link", name="Enrol a list of e-mails").click()
    page.get_by_label("CSV of e-mail addresses, one a row").set_input_files(
        _csv(tmp_path, "bad.csv", [*people[:6], "not-an-address", *people[7:]])
    )
    page.get_by_role("button", name="Enrol everyone").click()
    report = page.get_by_role("table", name="Rows to correct")
    expect(report.get_by_role("row").nth(1)).to_contain_text("8")  # the header is row 1
    expect(report).to_contain_text("“not-an-address” is not an e-mail address.")
    expect(page.get_by_role("alert")).to_contain_text("Nobody was enrolled: 1 row needs correcting.")
    assert Enrollment.objects.filter(offering=offering).count() == 0
    assert_accessible(page, "the upload page with a row report")
    assert_no_horizontal_scroll(page, "the upload page with a row report")
    _shot(page, "sponsor-upload-report-390")

    page.get_by_label("CSV of e-mail addresses, one a row").set_input_files(
        _csv(tmp_path, "good.csv", people)
    )
    page.get_by_role("button", name="Enrol everyone").click()
    expect(page.get_by_role("status")).to_contain_text("20 people are enrolled and e-mailed.")
    row = page.get_by_role("table", name="Seat pools").get_by_role("row").nth(1)
    expect(row).to_contain_text("Supply Chain Basics")
    expect(row.get_by_role("cell").nth(1)).to_have_text("20")  # redeemed
    expect(row.get_by_role("cell").nth(2)).to_have_text("0")  # left
    page.set_viewport_size({"width": 1280, "height": 800})
    _shot(page, "sponsor-portal-1280")

    seats = Enrollment.objects.filter(offering=offering, status=EnrollmentStatus.CONFIRMED)
    assert sorted(seats.values_list("learner__email", flat=True)) == sorted(people)
    told = [m for m in mail.outbox if m.to and m.to[0] in people]
    assert sorted(m.to[0] for m in told) == sorted(people)  # each once

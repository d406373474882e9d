"""Employer-sponsored seats in a real browser: a unit admin adds an employer; its contact buys
20 seats by invoice (sent through the local Stripe) on a phone, uploads a CSV of 20 e-mails with
one bad row and is told which, then the corrected file; every learner has a confirmed seat
without a card; one learner agrees to share their progress and completes, and the contact sees
that learner's completion and nobody else's."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from django.core import mail
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

import stripe_local
from enrollment.models import CompletionOutcome, CompletionSource, Enrollment, EnrollmentStatus
from enrollment.services.completion import completion_record
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
def test_an_employer_contact_buys_twenty_seats_by_invoice_enrols_a_csv_and_sees_them_complete(
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
    assert_accessible(page, "the employer's console page")
    _shot(page, "sponsor-console-1280")

    # The employer's contact buys the seats themselves, on a phone.
    page.context.clear_cookies()
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(EmployerContact.objects.get(employer__organisation="Acme Logistics").user)
    page.goto("/sponsor/")
    page.get_by_role("link", name="Buy seats").click()
    page.get_by_label("Offering").select_option(str(offering.pk))
    page.get_by_label("Seats", exact=True).fill("20")
    page.get_by_label("By invoice, due in 30 days").check()
    assert_accessible(page, "the buying page")
    assert_no_horizontal_scroll(page, "the buying page")
    _shot(page, "sponsor-buy-390")
    page.get_by_role("button", name="Buy the seats").click()
    expect(page.get_by_role("status")).to_contain_text("for $10,000.00 is sent to billing@acme.test.")
    expect(page.get_by_role("link", name="Download the invoice (PDF)")).to_be_visible()
    offering.refresh_from_db()
    assert offering.seats_taken == 20

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
    expect(page.get_by_text("20 more people took a seat and have not agreed to share")).to_be_visible()
    seats = Enrollment.objects.filter(offering=offering, status=EnrollmentStatus.CONFIRMED)
    assert sorted(seats.values_list("learner__email", flat=True)) == sorted(people)
    told = [m for m in mail.outbox if m.to and m.to[0] in people]
    assert sorted(m.to[0] for m in told) == sorted(people)  # each once
    pool_url = page.url

    # One learner agrees to share their progress, from My learning; the unit records completion.
    page.context.clear_cookies()
    worker = seats.get(learner__email=people[0])
    sign_in(worker.learner)
    page.goto("/my/learning/")
    page.get_by_role("link", name="What Acme Logistics sees").click()
    assert_accessible(page, "the learner's sponsored-seat page")
    assert_no_horizontal_scroll(page, "the learner's sponsored-seat page")
    _shot(page, "sponsor-seat-390")
    page.get_by_role("button", name="Share my status and completion with Acme Logistics").click()
    expect(page.get_by_role("status")).to_contain_text("Acme Logistics now sees your status and completion.")
    completion_record(
        tenant=tenant,
        enrollment_id=worker.pk,
        outcome=CompletionOutcome.COMPLETED,
        result="Pass",
        source=CompletionSource.LMS,
        actor=None,
        on=offering.ends_at.date(),
        now=offering.ends_at + timedelta(days=1),
    )

    page.context.clear_cookies()
    sign_in(EmployerContact.objects.get(employer__organisation="Acme Logistics").user)
    page.goto(pool_url)
    learners = page.get_by_role("table", name="Learners who share their progress with you")
    expect(learners).to_contain_text(people[0])
    expect(learners).to_contain_text("Completed on")
    expect(learners).not_to_contain_text(people[1])
    expect(page.get_by_text("19 more people took a seat and have not agreed to share")).to_be_visible()
    assert_accessible(page, "the pool page")
    assert_no_horizontal_scroll(page, "the pool page")
    _shot(page, "sponsor-pool-390")
    page.set_viewport_size({"width": 1280, "height": 800})
    _shot(page, "sponsor-pool-1280")

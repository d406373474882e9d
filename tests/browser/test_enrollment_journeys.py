"""Enrollment in a real browser: a learner joins a wait-list, another cancels, the first gets the
offer by e-mail (the test outbox), accepts it and sees the seat in My learning. Pages pass axe."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from playwright.sync_api import Browser, Page, expect
from pytest_django.live_server_helper import LiveServer

from enrollment import services
from microcred.celery import app
from tenants.models import StaffRole, Tenant
from tests.browser.a11y import assert_accessible, assert_no_horizontal_scroll
from tests.catalog.factories import OfferingFactory
from tests.factories import TenantFactory, UnitFactory, UserFactory, make_staff

OFFER_LINK = re.compile(r"http://localhost:\d+(/offers/[^/\s]+/)")


@pytest.fixture
def tenant(transactional_db) -> Tenant:
    return TenantFactory.create(name="Alpha University", hosts=["localhost"], time_zone="America/Chicago")


@pytest.fixture
def mail_through_the_outbox(settings, live_server: LiveServer) -> Iterator[None]:
    """Celery tasks run where they are queued (the live server's thread), and links in e-mails
    point at the live server's port."""
    settings.PUBLIC_PORT = str(live_server.thread.port)
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


@pytest.mark.browser
def test_a_waitlisted_learner_gets_the_offer_by_mail_and_accepts_it(
    page: Page, browser: Browser, live_server: LiveServer, tenant: Tenant, sign_in, mail_through_the_outbox
):
    unit = UnitFactory.create(tenant=tenant, slug="continuing-ed", name="Continuing Education")
    offering = OfferingFactory.create(
        microcredential__unit=unit,
        microcredential__title="SQL Fundamentals",
        capacity=1,
        price_minor=0,
        time_zone="America/Chicago",
    )
    holder = UserFactory.create(email="holder@example.test")
    services.enrollment_create(tenant=tenant, learner=holder, offering_id=offering.pk)
    waiter = UserFactory.create(email="waiter@example.test")
    sign_in(waiter)

    # The first learner finds the course full and joins the wait-list.
    page.goto(f"/offerings/{offering.pk}/")
    expect(page.locator(".availability")).to_have_text("Full — join the wait-list")
    page.get_by_role("link", name="Join the wait-list").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Enroll in SQL Fundamentals")
    assert_accessible(page, "enroll page")
    page.get_by_role("button", name="Join the wait-list").click()
    expect(page.get_by_role("status")).to_contain_text(
        "The course is full: you are number 1 on the wait-list."
    )
    expect(page.locator(".enrollment")).to_contain_text("You are number 1 on the wait-list.")
    assert_accessible(page, "My learning with a wait-list place")

    # The other learner cancels, in their own browser.
    other = browser.new_context(base_url=live_server.url)
    client = Client()
    client.force_login(holder)
    other.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    theirs = other.new_page()
    theirs.goto("/my/learning/")
    theirs.get_by_role("link", name="Cancel enrollment").click()
    theirs.get_by_role("button", name="Cancel enrollment").click()
    expect(theirs.get_by_role("status")).to_contain_text("Your enrollment is cancelled.")
    other.close()

    # The seat is offered to the first learner at once, by e-mail.
    # Joining the wait-list was confirmed first, then the seat is offered.
    to_waiter = [m.subject for m in mail.outbox if m.to == ["waiter@example.test"]]
    assert to_waiter == [
        "[Continuing Education] You are on the wait-list: SQL Fundamentals",
        "[Continuing Education] A seat is free for you: SQL Fundamentals",
    ]
    offer_mail = [m for m in mail.outbox if m.to == ["waiter@example.test"]][1]
    found = OFFER_LINK.search(str(offer_mail.body))
    assert found is not None, offer_mail.body
    page.goto(found.group(1))
    expect(page.get_by_role("heading", level=1)).to_have_text("A seat in SQL Fundamentals")
    assert_accessible(page, "offer page")
    page.get_by_role("button", name="Accept the seat").click()

    expect(page.get_by_role("status")).to_contain_text("The seat is yours: you are enrolled.")
    card = page.locator(".enrollment")
    expect(card).to_contain_text("SQL Fundamentals")
    expect(card).to_contain_text("Confirmed")
    expect(card).to_contain_text("Your course starts in 30 days.")
    confirmation = [m for m in mail.outbox if m.to == ["waiter@example.test"]][-1]
    assert confirmation.subject == "[Continuing Education] You are enrolled: SQL Fundamentals"
    page.set_viewport_size({"width": 360, "height": 780})
    assert_accessible(page, "My learning, confirmed")
    assert_no_horizontal_scroll(page, "My learning")


@pytest.mark.browser
def test_the_roster_passes_axe_and_reflows_on_a_phone(page: Page, tenant: Tenant, sign_in):
    unit = UnitFactory.create(tenant=tenant, slug="continuing-ed", name="Continuing Education")
    offering = OfferingFactory.create(microcredential__unit=unit, capacity=1, price_minor=0)
    OfferingFactory.create(microcredential=offering.microcredential, capacity=5, cohort_label="Autumn")
    for _n in range(3):
        services.enrollment_create(tenant=tenant, learner=UserFactory.create(), offering_id=offering.pk)
    sign_in(make_staff(tenant, StaffRole.UNIT_ADMIN, [unit]))
    page.goto("/console/enrollments/")
    assert_accessible(page, "rosters list")
    page.goto(f"/console/offerings/{offering.pk}/roster/")
    expect(page.locator("#roster-counts")).to_contain_text("1 of 1 seats taken")
    page.get_by_text("Actions").first.click()
    assert_accessible(page, "roster")
    page.set_viewport_size({"width": 360, "height": 780})
    assert_no_horizontal_scroll(page, "roster")

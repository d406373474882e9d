"""From paying to inside the course, in a real browser: a learner pays with 4242 on the local
Stripe's page, is provisioned into the local Moodle (the real job, client and double), sees "Go
to your course" on My learning, follows it through the double's "log in with OAuth 2" — the
authorization code flow with PKCE against the tenant's OpenID provider, the ID token verified
against its JWKS — and arrives at the course page signed in as themselves. Staff see the learner
in the course on the roster.

The local Stripe and the local Moodle run in this process; Celery tasks run where they are queued
(the live server's thread), so provisioning happens as the payment is confirmed."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

import lms_local
import stripe_local
from access.models import ClaimGroup, LmsAccount, LmsKind, Provision, ProvisionState
from access.services.connections import connection_save
from access.services.relying_parties import relying_party_create
from enrollment.models import Enrollment
from lms_local.oidc import CALLBACK
from lms_local.server import LocalLms
from microcred.celery import app
from payments.services.stripe_settings import stripe_settings_save
from tenants.models import StaffRole, Tenant, Unit
from tenants.selectors import staff_access
from tests.browser.a11y import assert_accessible, assert_no_horizontal_scroll, screenshot_if_asked
from tests.catalog.factories import OfferingFactory
from tests.factories import TenantFactory, UnitFactory, UserFactory, make_staff

WHSEC = "whsec_browser_lms_sign_in_0123456789"
LMS_TOKEN = "browser-moodle-token"


@pytest.fixture
def tenant(transactional_db: None) -> Tenant:
    return TenantFactory.create(name="Alpha University", hosts=["localhost"], time_zone="America/Chicago")


@pytest.fixture
def unit(tenant: Tenant) -> Unit:
    return UnitFactory.create(tenant=tenant, slug="continuing-ed", name="Continuing Education")


@pytest.fixture
def eager_stripe(settings, live_server: LiveServer, tenant: Tenant) -> Iterator[None]:
    settings.PUBLIC_PORT = str(live_server.thread.port)
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    with stripe_local.running(
        webhook_url=f"{live_server.url}/payments/stripe/webhook/", webhook_secret=WHSEC
    ) as server:
        settings.STRIPE_API_BASE = server.url
        stripe_settings_save(tenant=tenant, secret_key="sk_test_browser", webhook_secret=WHSEC)
        yield
    app.conf.task_always_eager = previous


@pytest.fixture
def moodle(tenant: Tenant, unit: Unit, live_server: LiveServer) -> Iterator[LocalLms]:
    """The unit's Moodle: connected for provisioning, and signing learners in through the
    tenant's OpenID provider as the first-party relying party registered for it."""
    with lms_local.running(kind="moodle", token=LMS_TOKEN) as server:
        admin = make_staff(tenant, StaffRole.TENANT_ADMIN)
        connection_save(
            tenant=tenant,
            access=staff_access(tenant=tenant, user=admin),
            unit_id=unit.pk,
            kind=LmsKind.MOODLE,
            base_url=server.url,
            token=LMS_TOKEN,
            options={"auth": "oauth2"},
        )
        registered = relying_party_create(
            tenant=tenant,
            name="Continuing Education Moodle",
            unit=unit,
            redirect_uris=server.url + CALLBACK,
            claims=[ClaimGroup.EMAIL, ClaimGroup.PROFILE],
            first_party=True,
        )
        server.control.set_oidc(
            issuer=live_server.url,
            client_id=registered.relying_party.application.client_id,
            client_secret=registered.client_secret,
            name="Alpha University",
        )
        yield server


@pytest.mark.browser
def test_a_learner_pays_and_arrives_in_the_moodle_course_through_single_sign_on(
    page: Page, tenant: Tenant, unit: Unit, eager_stripe: None, moodle: LocalLms, sign_in
) -> None:
    course = moodle.control.add_course(name="Python for Data Analysis (Moodle)", shortname="PY-201")
    offering = OfferingFactory.create(
        microcredential__unit=unit,
        microcredential__title="Python for Data Analysis",
        price_minor=125000,
        capacity=10,
        lms_course_ref="PY-201",
    )
    learner = UserFactory.create(email="ada@example.test", full_name="Ada Lovelace")
    sign_in(learner)

    page.goto(f"/offerings/{offering.pk}/enroll/")
    page.get_by_role("button", name="Hold my seat").click()
    page.get_by_role("button", name="Pay $1,250.00").click()  # the review page
    expect(page.get_by_role("form", name="Pay by card")).to_contain_text("Receipt to")
    page.get_by_label("Card number").fill("4242 4242 4242 4242")
    page.get_by_label("Expiry date").fill("12 / 34")
    page.get_by_label("Security code").fill("123")
    page.get_by_label("Name on card").fill("Ada Lovelace")
    page.get_by_role("button", name="Pay 1,250.00 USD").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Payment received: you are enrolled", timeout=15000
    )

    # Confirmed, so provisioned: the user made in Moodle (by the real client), in the course.
    enrollment = Enrollment.objects.get(learner=learner)
    assert Provision.objects.get(enrollment=enrollment).state == ProvisionState.PROVISIONED
    state = moodle.control.state()
    [moodle_user] = state["users"]
    assert (moodle_user["email"], moodle_user["auth"]) == ("ada@example.test", "oauth2")
    assert [(e["user_id"], e["course_id"]) for e in state["enrolments"]] == [
        (moodle_user["id"], course["id"])
    ]
    assert LmsAccount.objects.get(learner=learner).remote_id == str(moodle_user["id"])

    page.goto("/my/learning/")
    go = page.get_by_role("link", name="Go to your course")
    expect(go).to_be_visible()
    assert_accessible(page, "My learning with Go to your course")
    assert_no_horizontal_scroll(page, "My learning with Go to your course")
    page.set_viewport_size({"width": 1280, "height": 800})

    # Not signed in at Moodle yet: its login page offers the institution's sign-in.
    go.click()
    expect(page).to_have_url(re.compile(rf"^{re.escape(moodle.url)}/login/index\.php\?next="))
    expect(page.get_by_role("heading", name="Log in using your account on:")).to_be_visible()
    screenshot_if_asked(page, "Moodle double login page")
    page.get_by_role("link", name="Alpha University").click()

    # Through the tenant's authorization endpoint (signed in, first party: no consent screen),
    # back to Moodle's callback, and on to the course, signed in as Ada.
    expect(page).to_have_url(f"{moodle.url}/course/view.php?id={course['id']}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Python for Data Analysis (Moodle)")
    expect(page.get_by_text("Signed in as Ada Lovelace (ada@example.test)")).to_be_visible()
    expect(page.get_by_text("Welcome, Ada Lovelace.")).to_be_visible()
    assert_accessible(page, "the Moodle double's course page after single sign-on")
    assert_no_horizontal_scroll(page, "the Moodle double's course page after single sign-on")

    # Signed in at Moodle now: the next visit goes straight in.
    page.goto("/my/learning/")
    page.get_by_role("link", name="Go to your course").click()
    expect(page.get_by_text("Welcome, Ada Lovelace.")).to_be_visible()

    # Staff see her in the course on the roster.
    sign_in(make_staff(tenant, StaffRole.UNIT_ADMIN, [unit]))
    page.goto(f"/console/offerings/{offering.pk}/roster/")
    expect(page.get_by_text("LMS: In the course")).to_be_visible()
    assert_accessible(page, "the roster with the learner in the LMS course")

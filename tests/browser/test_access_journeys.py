"""Course access in a real browser: the roster with the LMS's state (a long failure and its Retry)
and My learning with "Go to your course" and "Add to calendar" pass axe and fit a phone."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from access.models import LmsAccount, LmsConnection, LmsKind, Provision, ProvisionState
from enrollment import services
from tenants.models import StaffRole, Tenant
from tests.browser.a11y import assert_accessible, assert_no_horizontal_scroll
from tests.catalog.factories import OfferingFactory
from tests.factories import TenantFactory, UnitFactory, UserFactory, make_staff

LONG_ERROR = (
    "Moodle answered 500 Internal Server Error: error/dmlwriteexception — Error writing to database "
    "(ERROR: duplicate key value violates unique constraint mdl_userenro_enruse_uix)"
)


@pytest.fixture
def tenant(transactional_db) -> Tenant:
    return TenantFactory.create(name="Alpha University", hosts=["localhost"], time_zone="America/Chicago")


@pytest.mark.browser
def test_the_roster_shows_the_lms_state_and_fits_a_phone(page: Page, tenant: Tenant, sign_in, monkeypatch):
    monkeypatch.setattr("core.jobs.enqueue", lambda *args, **kwargs: True)
    unit = UnitFactory.create(tenant=tenant, slug="continuing-ed", name="Continuing Education")
    connection = LmsConnection.objects.create(
        tenant=tenant, unit=unit, kind=LmsKind.MOODLE, base_url="https://lms.example.test"
    )
    offering = OfferingFactory.create(
        microcredential__unit=unit,
        capacity=5,
        price_minor=0,
        lms_course_ref="DATA-101",
        starts_at=timezone.now() - timedelta(days=1),
        enrollment_closes_at=timezone.now() + timedelta(days=5),
    )
    learners = [UserFactory.create(), UserFactory.create()]
    for learner in learners:
        services.enrollment_create(tenant=tenant, learner=learner, offering_id=offering.pk, by_staff=True)
    failed, fine = Provision.objects.filter(offering=offering).order_by("pk")
    Provision.objects.filter(pk=failed.pk).update(state=ProvisionState.FAILED, last_error=LONG_ERROR)
    Provision.objects.filter(pk=fine.pk).update(state=ProvisionState.PROVISIONED)
    LmsAccount.objects.create(tenant=tenant, connection=connection, learner=learners[1], remote_id="7")

    sign_in(make_staff(tenant, StaffRole.UNIT_ADMIN, [unit]))
    page.goto(f"/console/offerings/{offering.pk}/roster/")
    expect(page.get_by_text("LMS: In the course")).to_be_visible()
    expect(page.get_by_text("LMS: Failed, could not be added: Moodle answered 500")).to_be_visible()
    expect(page.get_by_role("button", name="Retry adding to the LMS")).to_be_visible()
    expect(page.get_by_role("button", name="Read completions from the LMS now")).to_be_visible()
    assert_accessible(page, "roster with the LMS's state")
    page.set_viewport_size({"width": 360, "height": 780})
    assert_no_horizontal_scroll(page, "roster with the LMS's state")

    page.get_by_role("button", name="Retry adding to the LMS").click()
    expect(page.get_by_text("LMS: Waiting to be added")).to_be_visible()


@pytest.mark.browser
def test_my_learning_links_to_the_course_and_the_calendar_on_a_phone(
    page: Page, tenant: Tenant, sign_in, monkeypatch
):
    monkeypatch.setattr("core.jobs.enqueue", lambda *args, **kwargs: True)
    unit = UnitFactory.create(tenant=tenant, slug="continuing-ed", name="Continuing Education")
    LmsConnection.objects.create(
        tenant=tenant, unit=unit, kind=LmsKind.MOODLE, base_url="https://lms.example.test"
    )
    offering = OfferingFactory.create(microcredential__unit=unit, price_minor=0, lms_course_ref="DATA-101")
    learner = UserFactory.create()
    services.enrollment_create(tenant=tenant, learner=learner, offering_id=offering.pk)
    sign_in(learner)
    page.set_viewport_size({"width": 390, "height": 800})
    page.goto("/my/learning/")
    expect(page.get_by_text("Your course access is being set up; it usually takes a minute.")).to_be_visible()
    Provision.objects.filter(offering=offering).update(state=ProvisionState.PROVISIONED)
    page.reload()
    expect(page.get_by_role("link", name="Go to your course")).to_be_visible()
    expect(page.get_by_role("link", name="Add to calendar")).to_be_visible()
    assert_accessible(page, "My learning with course links")
    assert_no_horizontal_scroll(page, "My learning with course links")

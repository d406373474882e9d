"""Identity journeys in a real browser: a new learner signs up by code (read from the test mail
outbox), edits the profile and downloads their data; and the new pages pass axe and reflow."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from identity.models import User
from learners.models import ContactConsent
from learners.services.records import learner_record_ensure
from tenants.models import StaffRole, Tenant
from tests.browser.a11y import assert_accessible, assert_no_horizontal_scroll
from tests.factories import TenantFactory, UnitFactory, UserFactory, make_staff
from tests.learners.helpers import code_in, last_mail_to


@pytest.fixture
def tenant(transactional_db) -> Tenant:
    tenant = TenantFactory.create(
        name="Alpha University", hosts=["localhost"], contact_email="learn@alpha.example.edu"
    )
    UnitFactory.create(
        tenant=tenant,
        slug="continuing-ed",
        name="Continuing Education",
        primary_colour="#7a1f3d",
        tagline="For life",
    )
    return tenant


@pytest.mark.browser
def test_a_new_learner_signs_up_by_code_edits_the_profile_and_downloads_the_data(page: Page, tenant: Tenant):
    page.goto("/u/continuing-ed/")
    page.get_by_role("link", name="Sign in").click()
    expect(page.get_by_text("Continuing Education, part of Alpha University.")).to_be_visible()
    page.get_by_role("link", name="Create an account").first.click()

    page.get_by_label("E-mail address").fill("ada@example.test")
    page.get_by_label("Full name").fill("Ada Lovelace")
    page.get_by_role("button", name="Create account and e-mail me a code").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Enter your sign-in code")
    message = last_mail_to("ada@example.test")
    assert message.subject.startswith("[Continuing Education] Your sign-in code:")
    page.get_by_label("Sign-in code").fill(code_in(message))
    page.get_by_role("button", name="Sign in", exact=True).click()

    page.get_by_role("link", name="Your profile").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your profile")
    expect(page.get_by_label("Full name")).to_have_value("Ada Lovelace")
    page.get_by_label("Preferred name").fill("Ada")
    page.get_by_label("Phone").fill("+44 20 7946 0000")
    page.get_by_role("button", name="Save details").click()
    expect(page.get_by_role("status")).to_contain_text("Your details are saved.")

    page.get_by_role("group", name="Continuing Education").get_by_label("New courses and start dates").check()
    page.get_by_role("button", name="Save contact choices").click()
    expect(page.get_by_role("status")).to_contain_text("Your contact choices are saved.")

    with page.expect_download() as download:
        page.get_by_role("link", name="Download my data").click()
    data = json.loads(Path(download.value.path()).read_text())
    assert data["account"]["email"] == "ada@example.test"
    assert data["account"]["preferred_name"] == "Ada"
    assert data["account"]["phone"] == "+44 20 7946 0000"
    assert data["learners"]["contact_consents"][0]["unit"] == "Continuing Education"
    user = User.objects.get(email="ada@example.test")
    assert not user.has_usable_password()
    assert ContactConsent.objects.get(user=user).granted is True

    assert_accessible(page, "the profile")
    assert_no_horizontal_scroll(page, "the profile")


@pytest.mark.browser
@pytest.mark.parametrize(
    "where",
    [
        "sign-in with an unknown address",
        "sign-up with a taken address",
        "code page with a wrong code",
        "guest checkout",
        "profile with a bad phone",
        "delete account",
        "API tokens with a new token",
        "learner lookup",
        "authenticator setup",
        "sign-in options",
    ],
)
def test_identity_pages_pass_axe_and_reflow_at_360px(page: Page, tenant: Tenant, sign_in, where: str):
    learner = UserFactory.create(email="grace.brewster.murray.hopper.longaddress@example.test")
    learner_record_ensure(tenant=tenant, user=learner, origin="sign_in", unit=tenant.units.get())
    if where == "sign-in with an unknown address":
        page.goto("/accounts/login/")
        page.get_by_label("E-mail address").fill("nobody@example.test")
        page.get_by_role("button", name="E-mail me a sign-in code").click()
        expect(page.get_by_text("we sent it a code")).to_be_visible()
    elif where == "sign-up with a taken address":
        page.goto("/accounts/signup/")
        page.get_by_label("E-mail address").fill(learner.email)
        page.get_by_role("button", name="Create account and e-mail me a code").click()
        expect(page.get_by_text("we sent it a code")).to_be_visible()
    elif where == "code page with a wrong code":
        page.goto("/accounts/login/")
        page.get_by_label("E-mail address").fill(learner.email)
        page.get_by_role("button", name="E-mail me a sign-in code").click()
        page.get_by_label("Sign-in code").fill("WXYZ-WXYZ")
        page.get_by_role("button", name="Sign in", exact=True).click()
        expect(page.get_by_role("alert")).to_contain_text("That code is not right.")
    elif where == "guest checkout":
        page.goto("/guest/?unit=continuing-ed")
    elif where == "profile with a bad phone":
        sign_in(learner)
        page.goto("/me/")
        page.get_by_label("Phone").fill("call me")
        page.get_by_role("button", name="Save details").click()
        expect(page.locator(".field.has-error")).to_have_count(1)
    elif where == "delete account":
        sign_in(learner)
        page.goto("/me/delete/")
    elif where == "API tokens with a new token":
        sign_in(make_staff(tenant, StaffRole.UNIT_ADMIN, list(tenant.units.all())))
        page.goto("/console/tokens/")
        page.get_by_label("Name").fill("Roster sync for the LMS")
        page.get_by_role("button", name="Create token").click()
        expect(page.get_by_label("Token", exact=True)).to_have_value(re.compile(r"^mc_"))
    elif where == "learner lookup":
        sign_in(make_staff(tenant, StaffRole.UNIT_ADMIN, list(tenant.units.all())))
        page.goto(f"/console/learners/?email={learner.email}")
        expect(page.get_by_text("Came from Continuing Education")).to_be_visible()
    elif where == "authenticator setup":
        admin = make_staff(tenant, StaffRole.TENANT_ADMIN, mfa=False)
        admin.set_unusable_password()
        admin.save()
        sign_in(admin)
        page.goto("/console/")
        expect(page.get_by_role("heading", level=1)).to_have_text("Set up an authenticator app")
    else:
        sign_in(make_staff(tenant, StaffRole.TENANT_ADMIN))
        page.goto("/console/sign-in/")

    assert_accessible(page, where)
    assert_no_horizontal_scroll(page, where)

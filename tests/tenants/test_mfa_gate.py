"""Tenant admins and finance set up an authenticator app before they reach staff pages; once set
up, signing in asks for its code. Unit admins are not forced (they may opt in)."""

from __future__ import annotations

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY

from tenants.models import StaffRole
from tests.factories import PASSWORD, make_staff, totp_code
from tests.learners.helpers import code_in, last_mail_to


@pytest.mark.parametrize("role", [StaffRole.TENANT_ADMIN, StaffRole.FINANCE])
@pytest.mark.parametrize("path", ["/console/", "/console/units/", "/console/tokens/"])
def test_tenant_admins_and_finance_without_an_authenticator_are_sent_to_set_one_up(world, role, path):
    person = make_staff(world.a, role, all_units=role == StaffRole.FINANCE, mfa=False)
    person.set_unusable_password()  # signs in by code: nothing to re-enter before the setup
    person.save()
    client = world.client_for(person, world.a)

    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/totp/activate/"
    page = client.get(response["Location"]).content.decode()
    assert "Your role handles money or the whole institution, so it needs two-factor authentication." in page
    assert "Set up an authenticator app" in page


def test_unit_admins_are_not_forced(world):
    person = make_staff(world.a, StaffRole.UNIT_ADMIN, [world.a_unit1])

    assert world.client_for(person, world.a).get("/console/").status_code == 200


def test_setting_up_the_authenticator_opens_the_console(world):
    person = make_staff(world.a, StaffRole.TENANT_ADMIN, mfa=False)
    person.set_unusable_password()  # a password would be asked for again before the setup
    person.save()
    client = world.client_for(None, world.a)
    client.post("/accounts/login/", {"login": person.email})
    client.post("/accounts/login/code/confirm/", {"code": code_in(last_mail_to(person.email))})
    assert client.get("/console/")["Location"] == "/accounts/2fa/totp/activate/"
    client.get("/accounts/2fa/totp/activate/")
    secret = client.session[SECRET_SESSION_KEY]

    wrong = client.post("/accounts/2fa/totp/activate/", {"code": "000000"})
    right = client.post("/accounts/2fa/totp/activate/", {"code": totp_code(secret)})

    assert wrong.status_code == 200
    assert "Incorrect code." in wrong.content.decode()
    assert right["Location"] == "/accounts/2fa/recovery-codes/"
    # Signed in a moment ago: the recovery codes show without asking again for what was just given.
    codes_page = client.get(right["Location"]).content.decode()
    assert "Recovery codes" in codes_page
    assert "Continue to the staff console" in codes_page
    assert {a.type for a in Authenticator.objects.filter(user=person)} == {"totp", "recovery_codes"}
    assert client.get("/console/").status_code == 200


@pytest.mark.parametrize("how", ["password", "code"])
def test_signing_in_asks_for_the_authenticator_code(world, how):
    client = world.client_for(None, world.a)
    if how == "password":
        client.post("/accounts/login/", {"login": world.a_admin.email, "password": PASSWORD})
    else:
        client.post("/accounts/login/", {"login": world.a_admin.email})
        client.post("/accounts/login/code/confirm/", {"code": code_in(last_mail_to(world.a_admin.email))})
    assert client.get("/console/").status_code == 302  # not yet

    wrong = client.post("/accounts/2fa/authenticate/", {"code": "000000"})
    right = client.post("/accounts/2fa/authenticate/", {"code": totp_code()})

    assert "Incorrect code." in wrong.content.decode()
    assert right.status_code == 302
    assert client.get("/console/").status_code == 200

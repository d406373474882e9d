"""Setting up an authenticator app: a reload keeps the secret the app scanned at the first load."""

from __future__ import annotations

from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY

from tenants.models import StaffRole
from tests.factories import PASSWORD, make_staff, totp_code
from tests.learners.helpers import code_in, last_mail_to


def test_a_reload_of_the_set_up_page_keeps_the_secret_and_its_code_works(world):
    person = make_staff(world.a, StaffRole.TENANT_ADMIN, mfa=False)
    person.set_unusable_password()
    person.save()
    client = world.client_for(None, world.a)
    client.post("/accounts/login/", {"login": person.email})
    client.post("/accounts/login/code/confirm/", {"code": code_in(last_mail_to(person.email))})
    first = client.get("/accounts/2fa/totp/activate/").content.decode()
    secret = client.session[SECRET_SESSION_KEY]

    second = client.get("/accounts/2fa/totp/activate/").content.decode()
    confirmed = client.post("/accounts/2fa/totp/activate/", {"code": totp_code(secret)})

    assert secret in first
    assert secret in second
    assert client.session.get(SECRET_SESSION_KEY) in (None, secret)
    assert confirmed.status_code == 302
    assert Authenticator.objects.filter(user=person, type="totp").exists()


def test_setting_up_right_after_a_password_sign_in_does_not_ask_for_the_password_again(world):
    person = make_staff(world.a, StaffRole.TENANT_ADMIN, mfa=False)
    client = world.client_for(None, world.a)
    client.post("/accounts/login/", {"login": person.email, "password": PASSWORD})

    page = client.get("/accounts/2fa/totp/activate/")

    assert page.status_code == 200
    assert client.session[SECRET_SESSION_KEY] in page.content.decode()

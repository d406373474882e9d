"""Django admin (platform operators): only on the platform host, only after allauth's sign-in with
the second factor; it lists the identity models and never shows a secret."""

from __future__ import annotations

import time

import pytest
from allauth.account.authentication import AUTHENTICATION_METHODS_SESSION_KEY
from allauth.mfa.models import Authenticator
from django.test import Client

from tenants.models import ApiToken, SocialProvider
from tests.factories import TenantFactory, UserFactory

PLATFORM = "platform.test"


def operator_client(*, totp: bool = True, used_mfa: bool = True, host: str = PLATFORM) -> Client:
    """A platform operator signed in on `host`, with (or without) TOTP set up and used."""
    if not TenantFactory._meta.model.objects.filter(domains__host=PLATFORM).exists():
        TenantFactory.create(slug="platform", name="Platform", hosts=[PLATFORM])
    operator = UserFactory.create(is_staff=True, is_superuser=True)
    if totp:
        Authenticator.objects.create(user=operator, type=Authenticator.Type.TOTP, data={"secret": "X" * 32})
    client = Client(HTTP_HOST=host)
    client.force_login(operator)
    if used_mfa:
        session = client.session
        session[AUTHENTICATION_METHODS_SESSION_KEY] = [{"method": "mfa", "type": "totp", "at": time.time()}]
        session["account_authentication_methods_user"] = str(operator.pk)
        session.save()
    return client


def test_a_tenant_host_answers_404_for_the_admin_even_to_an_operator(world):
    client = operator_client(host="alpha.test")

    assert client.get("/admin/").status_code == 404
    assert client.get("/admin/login/").status_code == 404
    assert client.get("/admin/identity/user/").status_code == 404


def test_the_admin_login_is_allauths_sign_in(world):
    TenantFactory.create(slug="platform", name="Platform", hosts=[PLATFORM])
    client = Client(HTTP_HOST=PLATFORM)

    login = client.get("/admin/login/?next=/admin/")
    index = client.get("/admin/", follow=True)

    assert login.status_code == 302
    assert login["Location"].startswith("/accounts/login/?next=/admin/")
    assert index.redirect_chain[-1][0].startswith("/accounts/login/")


def test_an_operator_without_an_authenticator_app_is_sent_to_set_one_up(world):
    client = operator_client(totp=False, used_mfa=False)

    response = client.get("/admin/", follow=True)

    assert any("/accounts/2fa/totp/activate/" in url for url, _status in response.redirect_chain)
    assert not response.request["PATH_INFO"].startswith("/admin/")


def test_an_operator_who_did_not_use_the_second_factor_is_asked_for_it(world):
    client = operator_client(used_mfa=False)

    response = client.get("/admin/", follow=True)

    assert response.redirect_chain[-1][0].startswith("/accounts/2fa/reauthenticate/")


@pytest.mark.parametrize(
    "model",
    ["learners/learnerrecord", "learners/contactconsent", "learners/accountmerge", "tenants/apitoken"],
)
def test_operator_lists_open(world, model):
    assert operator_client().get(f"/admin/{model}/").status_code == 200


def test_operator_sees_no_provider_secret_or_token_hash(world):
    provider = SocialProvider.objects.create(
        tenant=world.a, kind="google", client_id="g", secret="GOCSPX-topsecret"
    )
    token = ApiToken.objects.create(
        tenant=world.a,
        user=world.a_admin,
        role="tenant_admin",
        name="x",
        prefix="mc_1234abcd",
        token_hash="f" * 64,
    )
    client = operator_client()

    provider_page = client.get(f"/admin/tenants/socialprovider/{provider.pk}/change/").content.decode()
    token_page = client.get(f"/admin/tenants/apitoken/{token.pk}/change/").content.decode()

    assert "GOCSPX-topsecret" not in provider_page
    assert "f" * 64 not in token_page
    assert "mc_1234abcd" in token_page

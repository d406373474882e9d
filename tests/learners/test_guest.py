"""Guest checkout's identity step: an e-mail, no password; the account is created or matched and
confirmed by the code. The order will carry the e-mail (the enrollment issue calls the service)."""

from __future__ import annotations

from allauth.account.models import EmailAddress
from django.core import mail
from django.test import RequestFactory

from identity.models import User
from learners.models import LearnerRecord
from learners.services.signin import guest_identity_for_email
from tests.factories import add_authenticator
from tests.learners.helpers import code_in, last_mail_to


def test_a_guest_with_a_new_address_gets_an_account_confirmed_by_the_code(world):
    client = world.client_for(None, world.a)

    response = client.post(
        "/guest/?next=/u/continuing-ed/", {"email": "guest@example.test", "next": "/u/continuing-ed/"}
    )

    assert response.status_code == 302
    user = User.objects.get(email="guest@example.test")
    assert not user.has_usable_password()
    assert EmailAddress.objects.get(user=user).verified is False
    assert client.get("/me/").status_code == 302  # not signed in before the code

    response = client.post(
        "/accounts/login/code/confirm/",
        {"code": code_in(last_mail_to("guest@example.test")), "next": "/u/continuing-ed/"},
    )

    assert response["Location"] == "/u/continuing-ed/"
    assert client.get("/me/").status_code == 200
    assert EmailAddress.objects.get(user=user).verified is True
    assert LearnerRecord.objects.get(user=user, tenant=world.a).origin == "guest"


def test_a_guest_with_a_known_address_is_matched_not_duplicated_and_not_signed_in_without_the_code(world):
    client = world.client_for(None, world.a)
    before = User.objects.count()

    client.post("/guest/", {"email": world.learner.email.upper()})

    assert User.objects.count() == before
    assert last_mail_to(world.learner.email)
    assert client.get("/me/").status_code == 302
    client.post("/accounts/login/code/confirm/", {"code": code_in(last_mail_to(world.learner.email))})
    assert client.get("/me/").content.decode().count(world.learner.email) >= 1


def test_the_service_says_who_the_order_is_for(world, rf: RequestFactory):
    client = world.client_for(None, world.a)
    # A real request through the middleware gives the service a session and a tenant.
    client.get("/guest/")
    request = rf.post("/guest/", HTTP_HOST="alpha.test")
    request.session = client.session
    request.tenant = world.a  # type: ignore[attr-defined]

    matched = guest_identity_for_email(request=request, email=f"  {world.learner.email.upper()} ")
    created = guest_identity_for_email(
        request=request, email="New.Person@Example.test", full_name="New Person"
    )

    assert (matched.user, matched.email, matched.created) == (world.learner, world.learner.email, False)
    assert created.created is True
    assert (created.email, created.user.full_name) == ("new.person@example.test", "New Person")
    assert [m.to for m in mail.outbox] == [[world.learner.email], ["new.person@example.test"]]


def test_a_malformed_guest_address_is_explained_and_nothing_is_created(world):
    client = world.client_for(None, world.a)
    before = User.objects.count()

    response = client.post("/guest/", {"email": "guest at example", "full_name": "Gus"})

    assert response.status_code == 200
    page = response.content.decode()
    assert "Enter a valid email address." in page
    assert 'value="guest at example"' in page
    assert 'value="Gus"' in page
    assert User.objects.count() == before
    assert mail.outbox == []


def test_guest_codes_are_rate_limited_per_address(world):
    client = world.client_for(None, world.a)
    for _ in range(3):
        client.post("/guest/", {"email": "guest@example.test"})

    response = client.post("/guest/", {"email": "guest@example.test"})

    assert response.status_code == 429
    assert "Too many sign-in codes" in response.content.decode()
    assert len(mail.outbox) == 3


def test_a_signed_in_learner_skips_the_guest_step(world):
    response = world.client_for(world.learner, world.a).get("/guest/?next=/me/")

    assert response["Location"] == "/me/"


def test_a_guest_whose_account_has_two_factor_authentication_still_needs_it(world):
    add_authenticator(world.learner)
    client = world.client_for(None, world.a)
    client.post("/guest/", {"email": world.learner.email})

    response = client.post(
        "/accounts/login/code/confirm/", {"code": code_in(last_mail_to(world.learner.email))}
    )

    assert response["Location"] == "/accounts/2fa/authenticate/"
    assert client.get("/me/").status_code == 302


def test_a_closed_account_is_said_to_be_closed_everywhere(world):
    world.learner.is_active = False
    world.learner.save()
    client = world.client_for(None, world.a)

    for path, field in (("/guest/", "email"), ("/accounts/signup/", "email"), ("/accounts/login/", "login")):
        response = client.post(path, {field: world.learner.email})
        assert response.status_code == 409, path
        assert "is closed. Contact the institution if you need it again." in response.content.decode()
    assert mail.outbox == []

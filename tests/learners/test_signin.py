"""Sign in and sign up with an e-mailed one-time code: the happy paths, the brand on the e-mail,
and every refusal (bad address, unknown or taken address, wrong, expired, reused codes, too many
attempts, rate limits per address and per IP), each with its message and nothing changed."""

from __future__ import annotations

import time

import pytest
from allauth.account.models import EmailAddress
from django.core import mail

from identity.models import User
from learners.models import LearnerRecord
from tenants.models import StaffInvitation, StaffMembership
from tests.factories import PASSWORD, UserFactory
from tests.learners.helpers import code_in, html_of, last_mail_to


def is_signed_in(client):
    return client.get("/me/").status_code == 200


def test_a_new_learner_signs_up_with_a_code_and_no_password(world):
    client = world.client_for(None, world.a)

    response = client.post("/accounts/signup/", {"email": "Ada@Example.test", "full_name": "Ada Lovelace"})

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/code/confirm/"
    message = last_mail_to("ada@example.test")
    assert message.subject.startswith("[Alpha University] Your sign-in code: ")
    assert message.from_email == "Alpha University <no-reply@microcred.localhost>"
    assert "Hello from Alpha University!" in message.body
    page = client.get("/accounts/login/code/confirm/").content.decode()
    assert "If <strong>ada@example.test</strong> can sign in here, we sent it a code" in page

    response = client.post("/accounts/login/code/confirm/", {"code": code_in(message)})

    assert response.status_code == 302
    assert is_signed_in(client)
    user = User.objects.get(email="ada@example.test")
    assert user.full_name == "Ada Lovelace"
    assert not user.has_usable_password()
    assert EmailAddress.objects.get(user=user).verified is True
    record = LearnerRecord.objects.get(user=user)
    assert (record.tenant, record.origin) == (world.a, "sign_up")


def test_an_existing_learner_signs_in_with_a_code(world):
    client = world.client_for(None, world.a)

    response = client.post("/accounts/login/", {"login": world.learner.email})

    assert response.status_code == 302
    client.post("/accounts/login/code/confirm/", {"code": code_in(last_mail_to(world.learner.email))})
    assert is_signed_in(client)
    assert LearnerRecord.objects.get(user=world.learner, tenant=world.a).origin == "sign_in"


def test_the_code_e_mail_wears_the_brand_of_the_unit_the_learner_came_from(world):
    client = world.client_for(None, world.a)

    sign_in_page = client.get("/accounts/login/?unit=continuing-ed").content.decode()
    client.post("/accounts/login/", {"login": world.learner.email})

    assert "Alpha Continuing Ed, part of Alpha University." in sign_in_page
    message = last_mail_to(world.learner.email)
    assert message.subject.startswith("[Alpha Continuing Ed] Your sign-in code: ")
    assert message.from_email == "Alpha Continuing Ed <no-reply@microcred.localhost>"
    assert "Hello from Alpha Continuing Ed!" in message.body
    assert "background:#123456" in html_of(message)
    client.post("/accounts/login/code/confirm/", {"code": code_in(message)})
    record = LearnerRecord.objects.get(user=world.learner, tenant=world.a)
    assert list(record.units.all()) == [world.a_unit1]


def test_a_sign_in_link_without_a_unit_forgets_the_unit(world):
    client = world.client_for(None, world.a)
    client.get("/accounts/login/?unit=continuing-ed")

    client.get("/accounts/login/")
    client.post("/accounts/login/", {"login": world.learner.email})

    assert last_mail_to(world.learner.email).subject.startswith("[Alpha University] ")


def test_a_password_still_works_for_people_who_added_one(world):
    client = world.client_for(None, world.a)

    response = client.post("/accounts/login/", {"login": world.learner.email, "password": PASSWORD})

    assert response.status_code == 302
    assert mail.outbox == []
    assert is_signed_in(client)


def test_a_wrong_password_is_explained_and_the_address_kept(world):
    client = world.client_for(None, world.a)

    response = client.post(
        "/accounts/login/", {"login": world.learner.email, "password": "nope", "action": "password"}
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "The email address and/or password you specified are not correct." in page
    assert f'value="{world.learner.email}"' in page
    assert '<details class="password-sign-in" open>' in page
    assert not is_signed_in(client)


@pytest.mark.parametrize("email", ["not-an-address", "two@@example.test", ""])
def test_a_malformed_address_is_explained_and_kept(world, email):
    client = world.client_for(None, world.a)

    response = client.post("/accounts/login/", {"login": email})

    assert response.status_code == 200
    page = response.content.decode()
    assert "Enter a valid email address." in page or "This field is required." in page
    assert 'aria-describedby="id_login_error"' in page
    if email:
        assert f'value="{email}"' in page
    assert mail.outbox == []


def _confirm_page(client):
    return client.get("/accounts/login/code/confirm/").content.decode()


def test_an_unknown_and_a_known_address_get_the_same_answer_and_the_unknown_one_signs_up(world):
    known_client = world.client_for(None, world.a)
    unknown_client = world.client_for(None, world.a)

    known = known_client.post("/accounts/login/", {"login": world.learner.email})
    unknown = unknown_client.post("/accounts/login/", {"login": "nobody@example.test"})

    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    assert unknown["Location"] == "/accounts/login/code/confirm/"
    for client, email in ((known_client, world.learner.email), (unknown_client, "nobody@example.test")):
        page = _confirm_page(client)
        assert f"If <strong>{email}</strong> can sign in here, we sent it a code" in page
        assert "No account uses" not in page
    unknown_client.post(
        "/accounts/login/code/confirm/", {"code": code_in(last_mail_to("nobody@example.test"))}
    )
    assert is_signed_in(unknown_client)
    user = User.objects.get(email="nobody@example.test")
    assert EmailAddress.objects.get(user=user).verified is True
    assert LearnerRecord.objects.get(user=user, tenant=world.a).origin == "sign_up"


def test_signing_up_with_a_taken_address_answers_as_for_a_new_one_and_changes_nothing(world):
    client = world.client_for(None, world.a)
    before = User.objects.count()

    response = client.post("/accounts/signup/", {"email": world.learner.email.upper(), "full_name": "Copy"})

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/code/confirm/"
    assert "An account already uses" not in _confirm_page(client)
    assert User.objects.count() == before
    world.learner.refresh_from_db()
    assert world.learner.full_name != "Copy"
    # The owner of the address gets a sign-in code, not someone else's account.
    client.post("/accounts/login/code/confirm/", {"code": code_in(last_mail_to(world.learner.email))})
    assert client.get("/me/").context["user"] == world.learner


def test_a_wrong_code_is_explained_keeps_what_was_typed_and_counts_down(world):
    client = world.client_for(None, world.a)
    client.post("/accounts/login/", {"login": world.learner.email})

    response = client.post("/accounts/login/code/confirm/", {"code": "WXYZ-WXYZ"})

    assert response.status_code == 400
    page = response.content.decode()
    assert "That code is not right. Check the e-mail and try again (2 tries left)." in page
    assert 'value="WXYZ-WXYZ"' in page
    assert not is_signed_in(client)


def test_three_wrong_codes_end_the_attempt_and_the_right_code_then_fails(world):
    client = world.client_for(None, world.a)
    client.post("/accounts/login/", {"login": world.learner.email})
    code = code_in(last_mail_to(world.learner.email))

    for _ in range(2):
        client.post("/accounts/login/code/confirm/", {"code": "WXYZ-WXYZ"})
    third = client.post("/accounts/login/code/confirm/", {"code": "WXYZ-WXYZ"}, follow=True)
    late = client.post("/accounts/login/code/confirm/", {"code": code}, follow=True)

    assert "Too many wrong codes. For your safety, ask for a new code." in third.content.decode()
    assert "This code was already used, or it has expired." in late.content.decode()
    assert not is_signed_in(client)


def test_an_expired_code_is_refused_and_the_address_kept(world, monkeypatch):
    client = world.client_for(None, world.a)
    client.post("/accounts/login/", {"login": world.learner.email})
    code = code_in(last_mail_to(world.learner.email))
    eleven_minutes_later = time.time() + 11 * 60
    monkeypatch.setattr(
        "allauth.account.internal.flows.code_verification.time.time", lambda: eleven_minutes_later
    )

    response = client.post("/accounts/login/code/confirm/", {"code": code})

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?email={world.learner.email.replace('@', '%40')}"
    monkeypatch.undo()
    page = client.get(response["Location"]).content.decode()
    assert "This code has expired: codes work for 10 minutes. Ask for a new one." in page
    assert f'value="{world.learner.email}"' in page
    assert not is_signed_in(client)


def test_a_code_works_once(world):
    client = world.client_for(None, world.a)
    client.post("/accounts/login/", {"login": world.learner.email})
    code = code_in(last_mail_to(world.learner.email))
    client.post("/accounts/login/code/confirm/", {"code": code})
    client.post("/accounts/logout/")

    response = client.post("/accounts/login/code/confirm/", {"code": code}, follow=True)

    assert "This code was already used, or it has expired. Ask for a new code." in response.content.decode()
    assert not is_signed_in(client)


def test_codes_per_address_are_rate_limited_with_a_clear_message(world):
    client = world.client_for(None, world.a)
    for _ in range(3):
        assert client.post("/accounts/login/", {"login": world.learner.email}).status_code == 302

    response = client.post("/accounts/login/", {"login": world.learner.email})

    assert response.status_code == 429
    assert (
        "Too many sign-in codes were asked for this address or from your network."
        in response.content.decode()
    )
    assert len(mail.outbox) == 3
    # Another address from the same network is still served.
    other = UserFactory.create()
    assert client.post("/accounts/login/", {"login": other.email}).status_code == 302


def test_codes_per_ip_are_rate_limited(world):
    people = UserFactory.create_batch(21)
    client = world.client_for(None, world.a)
    for person in people[:20]:
        assert client.post("/accounts/login/", {"login": person.email}).status_code == 302

    response = client.post("/accounts/login/", {"login": people[20].email})

    assert response.status_code == 429
    assert len(mail.outbox) == 20
    # Another network is still served.
    elsewhere = world.client_for(None, world.a)
    assert (
        elsewhere.post("/accounts/login/", {"login": people[20].email}, REMOTE_ADDR="10.9.8.7").status_code
        == 302
    )


def test_a_new_code_can_be_asked_for_from_the_code_page(world):
    client = world.client_for(None, world.a)
    client.post("/accounts/login/", {"login": world.learner.email})
    first = code_in(last_mail_to(world.learner.email))

    client.post("/accounts/login/code/confirm/", {"action": "resend"})
    second = code_in(last_mail_to(world.learner.email))

    assert len(mail.outbox) == 2
    if first != second:  # codes are random; only the newest one works
        assert client.post("/accounts/login/code/confirm/", {"code": first}).status_code == 400
    client.post("/accounts/login/code/confirm/", {"code": second})
    assert is_signed_in(client)


def test_the_same_account_on_two_tenants_has_a_record_at_each(world):
    for tenant in (world.a, world.b):
        client = world.client_for(None, tenant)
        client.post("/accounts/login/", {"login": world.learner.email})
        client.post("/accounts/login/code/confirm/", {"code": code_in(last_mail_to(world.learner.email))})

    records = LearnerRecord.objects.filter(user=world.learner).order_by("tenant__slug")
    assert [r.tenant.slug for r in records] == ["alpha", "beta"]
    assert User.objects.filter(email=world.learner.email).count() == 1


def test_the_next_page_survives_the_code(world):
    client = world.client_for(None, world.a)
    client.post("/accounts/login/?next=/me/", {"login": world.learner.email, "next": "/me/"})

    response = client.post(
        "/accounts/login/code/confirm/", {"code": code_in(last_mail_to(world.learner.email)), "next": "/me/"}
    )

    assert response["Location"] == "/me/"


def test_an_outside_next_address_is_ignored(world):
    client = world.client_for(None, world.a)
    client.post("/accounts/login/", {"login": world.learner.email, "next": "https://evil.example/"})

    response = client.post(
        "/accounts/login/code/confirm/",
        {"code": code_in(last_mail_to(world.learner.email)), "next": "https://evil.example/"},
    )

    assert response.status_code == 302
    assert "evil" not in response["Location"]


def test_an_invited_person_without_an_account_signs_up_by_code_and_accepts(world):
    invitation = StaffInvitation.objects.create(
        tenant=world.a,
        email="new.staff@example.test",
        role="unit_admin",
        token="i" * 40,
        invited_by=world.a_admin,
        expires_at="2099-01-01T00:00:00Z",
    )
    client = world.client_for(None, world.a)
    path = f"/invitations/{invitation.token}/"

    to_sign_in = client.get(path)
    client.post(to_sign_in["Location"], {"login": "new.staff@example.test", "next": path})
    assert to_sign_in["Location"] == f"/accounts/login/?next={path}"
    confirmed = client.post(
        "/accounts/login/code/confirm/",
        {"code": code_in(last_mail_to("new.staff@example.test")), "next": path},
    )
    assert confirmed["Location"] == path
    client.post(path)

    assert StaffMembership.objects.get(user__email="new.staff@example.test").role == "unit_admin"


@pytest.mark.parametrize("target", ["http://beta.test/me/", "//beta.test/me/", "https://evil.example/"])
def test_a_password_sign_in_never_sends_to_another_host(world, target):
    world.learner.set_password(PASSWORD)
    world.learner.save()
    client = world.client_for(None, world.a)

    response = client.post(
        "/accounts/login/", {"login": world.learner.email, "password": PASSWORD, "next": target}
    )

    assert response.status_code == 302
    assert "beta" not in response["Location"]
    assert "evil" not in response["Location"]


@pytest.mark.parametrize("target", ["http://beta.test/me/", "//beta.test/me/"])
def test_signing_out_never_sends_to_another_host(world, target):
    client = world.client_for(world.learner, world.a)

    response = client.post("/accounts/logout/", {"next": target})

    assert response.status_code == 302
    assert "beta" not in response["Location"]


def test_a_next_page_on_the_same_host_is_kept_after_a_password_sign_in(world):
    world.learner.set_password(PASSWORD)
    world.learner.save()
    client = world.client_for(None, world.a)

    response = client.post(
        "/accounts/login/",
        {"login": world.learner.email, "password": PASSWORD, "next": "http://alpha.test/me/"},
    )

    assert response["Location"] == "http://alpha.test/me/"


def test_staff_who_sign_in_land_on_their_console_and_learners_on_the_catalog(world):
    staff = world.client_for(None, world.a)
    learner = world.client_for(None, world.a)
    staff.post("/accounts/login/", {"login": world.a_unit1_admin.email})
    learner.post("/accounts/login/", {"login": world.learner.email})

    staff_landing = staff.post(
        "/accounts/login/code/confirm/", {"code": code_in(last_mail_to(world.a_unit1_admin.email))}
    )
    learner_landing = learner.post(
        "/accounts/login/code/confirm/", {"code": code_in(last_mail_to(world.learner.email))}
    )

    assert staff_landing["Location"] == "/console/"
    assert learner_landing["Location"] == "/"


def test_a_password_reset_answers_alike_for_known_and_unknown_addresses(world):
    UserFactory.create(email="known@example.test")
    client = world.client_for(None, world.a)

    known = client.post("/accounts/password/reset/", {"email": "known@example.test"})
    unknown = client.post("/accounts/password/reset/", {"email": "nobody@example.test"})

    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"] == "/accounts/password/reset/done/"
    assert "/accounts/password/reset/key/" in last_mail_to("known@example.test").body
    told = last_mail_to("nobody@example.test")
    assert "/accounts/password/reset/key/" not in told.body
    assert "not" in told.body.lower()  # "…you do not have an account…": no link to use

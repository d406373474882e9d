"""The sign-in API says the same as the pages, in the one error shape."""

from __future__ import annotations

import time

import pytest
from django.core import mail

from identity.models import User
from tests.factories import add_authenticator
from tests.learners.helpers import code_in, last_mail_to


def post(client, path, data):
    return client.post(path, data, content_type="application/json")


def error(response):
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "fields"}
    return body["error"]


def test_sign_up_and_in_by_code_over_the_api(world):
    client = world.client_for(None, world.a)

    response = post(client, "/api/v1/auth/signup/", {"email": "app@example.test", "full_name": "App User"})

    assert response.status_code == 202
    assert response.json()["email"] == "app@example.test"
    response = post(client, "/api/v1/auth/code/confirm/", {"code": code_in(last_mail_to("app@example.test"))})
    assert response.status_code == 200
    assert response.json() == {"detail": "Signed in.", "email": "app@example.test"}
    me = client.get("/api/v1/me/").json()
    assert (me["email"], me["roles"], me["authenticated_by"]) == ("app@example.test", [], "session")


def test_request_a_code_for_an_existing_account(world):
    client = world.client_for(None, world.a)

    response = post(client, "/api/v1/auth/code/", {"email": world.learner.email})

    assert response.status_code == 202
    assert last_mail_to(world.learner.email).subject.startswith("[Alpha University] ")


def test_guest_identity_over_the_api(world):
    client = world.client_for(None, world.a)

    response = post(client, "/api/v1/guest/", {"email": "buyer@example.test"})

    assert response.status_code == 202
    assert User.objects.filter(email="buyer@example.test").exists()


@pytest.mark.parametrize("path", ["/api/v1/auth/code/", "/api/v1/auth/signup/", "/api/v1/guest/"])
def test_a_malformed_address_names_the_field(world, path):
    response = post(world.client_for(None, world.a), path, {"email": "nope"})

    assert response.status_code == 400
    assert error(response) == {
        "code": "invalid",
        "message": "Some fields are not valid.",
        "fields": {"email": ["Enter a valid email address."]},
    }
    assert mail.outbox == []


def test_unknown_and_taken_addresses_get_the_answer_known_and_new_ones_get(world):
    client = world.client_for(None, world.a)

    known = post(client, "/api/v1/auth/code/", {"email": world.learner.email})
    unknown = post(client, "/api/v1/auth/code/", {"email": "nobody@example.test"})
    taken = post(client, "/api/v1/auth/signup/", {"email": world.learner.email})

    assert known.status_code == unknown.status_code == taken.status_code
    assert set(known.json()) == set(unknown.json()) == set(taken.json())
    assert "No account uses" not in unknown.content.decode()
    assert "already uses" not in taken.content.decode()
    assert len(mail.outbox) == 3


def test_wrong_then_too_many_codes(world):
    client = world.client_for(None, world.a)
    post(client, "/api/v1/auth/code/", {"email": world.learner.email})

    first = post(client, "/api/v1/auth/code/confirm/", {"code": "WXYZ-WXYZ"})
    post(client, "/api/v1/auth/code/confirm/", {"code": "WXYZ-WXYZ"})
    third = post(client, "/api/v1/auth/code/confirm/", {"code": "WXYZ-WXYZ"})

    assert first.status_code == 400
    assert error(first)["code"] == "code_incorrect"
    assert error(first)["message"].endswith("(2 tries left).")
    assert third.status_code == 429
    assert error(third)["code"] == "too_many_attempts"
    assert client.get("/api/v1/me/").status_code == 401


def test_expired_and_reused_codes(world, monkeypatch):
    client = world.client_for(None, world.a)
    post(client, "/api/v1/auth/code/", {"email": world.learner.email})
    code = code_in(last_mail_to(world.learner.email))
    later = time.time() + 11 * 60
    monkeypatch.setattr("allauth.account.internal.flows.code_verification.time.time", lambda: later)

    expired = post(client, "/api/v1/auth/code/confirm/", {"code": code})
    reused = post(client, "/api/v1/auth/code/confirm/", {"code": code})

    assert (expired.status_code, error(expired)["code"]) == (400, "code_expired")
    assert (reused.status_code, error(reused)["code"]) == (400, "code_not_pending")
    assert error(reused)["message"] == "This code was already used, or it has expired. Ask for a new code."


def test_too_many_code_requests(world):
    client = world.client_for(None, world.a)
    for _ in range(3):
        post(client, "/api/v1/auth/code/", {"email": world.learner.email})

    response = post(client, "/api/v1/auth/code/", {"email": world.learner.email})

    assert response.status_code == 429
    assert error(response)["code"] == "too_many_requests"


def test_an_account_with_two_factor_authentication_finishes_on_the_web(world):
    add_authenticator(world.learner)
    client = world.client_for(None, world.a)
    post(client, "/api/v1/auth/code/", {"email": world.learner.email})

    response = post(
        client, "/api/v1/auth/code/confirm/", {"code": code_in(last_mail_to(world.learner.email))}
    )

    assert response.status_code == 403
    assert error(response)["code"] == "mfa_required"
    assert client.get("/api/v1/me/").status_code == 401

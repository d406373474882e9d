"""Tenant admins switch social sign-in providers on with their own credentials; secrets are
write-only (never rendered back in full); nobody else reaches these pages."""

from __future__ import annotations

import pytest

from learners.adapters import social_app_for
from tenants.models import SocialProvider


def test_a_tenant_admin_switches_google_on(world):
    client = world.client_for(world.a_admin, world.a)

    overview = client.get("/console/sign-in/").content.decode()
    response = client.post(
        "/console/sign-in/google/",
        {"client_id": "123.apps.googleusercontent.com", "secret": "GOCSPX-abcd1234", "is_enabled": "on"},
    )

    assert "http://alpha.test/accounts/google/login/callback/" in overview
    assert "http://alpha.test/accounts/oidc/linkedin/login/callback/" in overview
    assert response.status_code == 302
    provider = SocialProvider.objects.get(tenant=world.a)
    assert (provider.kind, provider.client_id, provider.secret, provider.updated_by) == (
        "google",
        "123.apps.googleusercontent.com",
        "GOCSPX-abcd1234",
        world.a_admin,
    )
    assert "Continue with Google" in world.client_for(None, world.a).get("/accounts/login/").content.decode()


def test_the_secret_is_never_shown_and_an_empty_one_keeps_it(world):
    SocialProvider.objects.create(
        tenant=world.a, kind="google", client_id="old-id", secret="GOCSPX-s3cr3t-9876"
    )
    client = world.client_for(world.a_admin, world.a)

    page = client.get("/console/sign-in/google/").content.decode()
    client.post("/console/sign-in/google/", {"client_id": "new-id", "secret": "", "is_enabled": "on"})

    assert "GOCSPX-s3cr3t-9876" not in page
    assert "Stored; it ends in …9876." in page
    provider = SocialProvider.objects.get()
    assert (provider.client_id, provider.secret) == ("new-id", "GOCSPX-s3cr3t-9876")


def test_a_first_setup_needs_a_secret_and_keeps_what_was_typed(world):
    client = world.client_for(world.a_admin, world.a)

    response = client.post("/console/sign-in/linkedin/", {"client_id": "li-client", "secret": ""})

    assert response.status_code == 400
    page = response.content.decode()
    assert "Enter the client secret." in page
    assert 'value="li-client"' in page
    assert not SocialProvider.objects.exists()


def test_apple_needs_its_team_id_and_private_key(world):
    client = world.client_for(world.a_admin, world.a)

    refused = client.post("/console/sign-in/apple/", {"client_id": "edu.alpha.signin", "secret": "KEY123"})
    saved = client.post(
        "/console/sign-in/apple/",
        {
            "client_id": "edu.alpha.signin",
            "secret": "KEY123",
            "apple_team_id": "TEAM123456",
            "apple_private_key": "-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----",
            "is_enabled": "on",
        },
    )

    assert "Apple needs your team id." in refused.content.decode()
    assert "Apple needs the private key (.p8 file contents)." in refused.content.decode()
    assert saved.status_code == 302
    app = social_app_for(SocialProvider.objects.get())
    assert (app.provider, app.client_id, app.secret, app.key) == (
        "apple",
        "edu.alpha.signin",
        "KEY123",
        "TEAM123456",
    )
    assert app.settings["certificate_key"].startswith("-----BEGIN PRIVATE KEY-----")
    assert "BEGIN PRIVATE KEY" not in client.get("/console/sign-in/apple/").content.decode()


def test_microsoft_domains_are_checked(world):
    client = world.client_for(world.a_admin, world.a)

    response = client.post(
        "/console/sign-in/microsoft/",
        {"client_id": "m", "secret": "s", "verified_email_domains": "alpha.edu, not a domain"},
    )

    assert "not a domain is not a domain name, like example.edu." in response.content.decode()
    assert not SocialProvider.objects.exists()


def test_linkedin_is_served_through_openid_connect(world):
    provider = SocialProvider.objects.create(tenant=world.a, kind="linkedin", client_id="li", secret="s")

    app = social_app_for(provider)

    assert (app.provider, app.provider_id, app.name) == ("openid_connect", "linkedin", "LinkedIn")
    assert app.settings == {"server_url": "https://www.linkedin.com/oauth"}


def test_a_provider_can_be_removed(world):
    SocialProvider.objects.create(tenant=world.a, kind="google", client_id="g", secret="s")

    world.client_for(world.a_admin, world.a).post("/console/sign-in/google/", {"action": "remove"})

    assert not SocialProvider.objects.exists()


@pytest.mark.parametrize("who", ["a_unit1_admin", "a_finance_all", "learner", "b_admin"])
def test_only_the_tenants_admins_reach_sign_in_options(world, who):
    SocialProvider.objects.create(tenant=world.a, kind="google", client_id="g", secret="s")
    client = world.client_for(getattr(world, who), world.a)

    assert client.get("/console/sign-in/").status_code == 404
    assert client.post("/console/sign-in/google/", {"action": "remove"}).status_code == 404
    assert SocialProvider.objects.exists()


def test_an_unknown_provider_is_404(world):
    assert world.client_for(world.a_admin, world.a).get("/console/sign-in/myspace/").status_code == 404

"""Tenants' Stripe keys: encrypted at rest, from the environment, shown only masked."""

from __future__ import annotations

import pytest

from payments import secrets
from payments.models import TenantStripeSettings
from payments.services.stripe_settings import stripe_settings_save
from payments.stripe_api import stripe_client_for, webhook_secret_for
from tests.conftest import World
from tests.test_admin_pages import operator_client

KEY = "sk_test_51Abcdefghijklmnop9876"


def test_keys_are_encrypted_at_rest_and_read_back(world: World, settings) -> None:
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"
    stored = stripe_settings_save(tenant=world.a, secret_key=KEY, webhook_secret="whsec_abc123456789")
    raw = (
        TenantStripeSettings.objects.filter(pk=stored.pk)
        .values_list("secret_key_encrypted", "webhook_secret_encrypted")
        .get()
    )
    assert KEY not in raw[0]
    assert "whsec_abc123456789" not in raw[1]
    assert webhook_secret_for(world.a) == "whsec_abc123456789"
    client = stripe_client_for(world.a)
    assert client._requestor.api_key == KEY
    assert secrets.mask(KEY) == "sk_test_…9876"
    # Another key (e.g. SECRET_KEY changed without PAYMENTS_SECRETS_KEY) cannot read them.
    settings.PAYMENTS_SECRETS_KEY = "q" * 43 + "="
    with pytest.raises(Exception, match="cannot be read"):
        webhook_secret_for(world.a)


def test_keys_named_by_environment_variables(world: World, monkeypatch) -> None:
    monkeypatch.setenv("ALPHA_STRIPE_WHSEC", "whsec_from_env_0001")
    stripe_settings_save(tenant=world.a, webhook_secret_env="ALPHA_STRIPE_WHSEC")
    assert webhook_secret_for(world.a) == "whsec_from_env_0001"


def test_a_tenant_without_keys_takes_no_payments(world: World) -> None:
    from payments.errors import StripeNotConfigured

    with pytest.raises(StripeNotConfigured):
        stripe_client_for(world.b)


def test_the_admin_shows_keys_masked_only(world: World) -> None:
    stripe_settings_save(tenant=world.a, secret_key=KEY, webhook_secret="whsec_abc123456789")
    client = operator_client()
    listing = client.get("/admin/payments/tenantstripesettings/").content.decode()
    assert "sk_test_…9876" in listing
    assert KEY not in listing
    stored = TenantStripeSettings.objects.get()
    page = client.get(f"/admin/payments/tenantstripesettings/{stored.pk}/change/").content.decode()
    assert KEY not in page
    assert "whsec_abc123456789" not in page
    assert "whsec_…6789" in page
    response = client.post(
        f"/admin/payments/tenantstripesettings/{stored.pk}/change/",
        {
            "tenant": world.a.pk,
            "secret_key": "",
            "webhook_secret": "whsec_new_secret_4321",
            "secret_key_env": "",
            "webhook_secret_env": "",
        },
    )
    assert response.status_code == 302
    assert webhook_secret_for(world.a) == "whsec_new_secret_4321"
    assert secrets.secret_key(TenantStripeSettings.objects.get()) == KEY


def test_a_tenant_admin_sets_the_keys_in_the_console_and_sees_them_masked(world: World) -> None:
    admin = world.client_for(world.a_admin, world.a)
    page = admin.get("/console/payments/").content.decode()
    assert "not set: payments are off" in page
    assert "http://alpha.test/payments/stripe/webhook/" in page

    refused = admin.post("/console/payments/", {"secret_key": "pk_test_publishable", "webhook_secret": ""})
    assert refused.status_code == 200
    assert "A Stripe secret key starts with sk_" in refused.content.decode()
    assert not TenantStripeSettings.objects.exists()

    saved = admin.post("/console/payments/", {"secret_key": KEY, "webhook_secret": "whsec_console_5678"})
    assert saved.status_code == 302
    page = admin.get("/console/payments/").content.decode()
    assert "sk_test_…9876" in page
    assert "whsec_…5678" in page
    assert KEY not in page
    assert webhook_secret_for(world.a) == "whsec_console_5678"
    # Unit admins, finance and other tenants' admins do not reach it.
    assert world.client_for(world.a_unit1_admin, world.a).get("/console/payments/").status_code == 404
    assert world.client_for(world.b_admin, world.a).get("/console/payments/").status_code in (302, 404)
    assert webhook_secret_for(world.b) == ""

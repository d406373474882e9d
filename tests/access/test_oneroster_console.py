"""The console's OneRoster page: tenant admins register roster readers (the secret shown once,
the token works), make a new secret, disable; unit admins download their units' zip only."""

from __future__ import annotations

import base64
import re

import pytest
from django.contrib.auth.hashers import check_password
from django.test import Client

from access.models import ClientKind, RelyingParty
from access.oneroster.scopes import ROSTER_CORE_READONLY, ROSTER_READONLY

pytestmark = pytest.mark.django_db


def _secret(text: str) -> str:
    found = re.search(r"<dt>Client secret</dt><dd><code[^>]*>([^<]+)</code>", text)
    assert found is not None, text
    return found.group(1)


def _token(client_id: str, secret: str) -> int:
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return (
        Client()
        .post(
            "/oidc/token/",
            {"grant_type": "client_credentials"},
            HTTP_HOST="alpha.test",
            HTTP_AUTHORIZATION=f"Basic {basic}",
        )
        .status_code
    )


def test_a_tenant_admin_registers_a_roster_reader_and_sees_its_secret_once(world):
    client = world.client_for(world.a_admin, world.a)
    form = {
        "name": "Brightspace",
        "unit": world.a_unit1.pk,
        "scopes": [ROSTER_CORE_READONLY, ROSTER_READONLY],
    }

    page = client.post("/console/oneroster/new/", form, follow=True)

    assert page.status_code == 200
    assert page["Cache-Control"] == "no-store"
    text = page.content.decode()
    assert "it is shown only this once" in text
    assert "http://alpha.test/ims/oneroster/rostering/v1p2" in text
    assert "http://alpha.test/oidc/token/" in text
    rp = RelyingParty.objects.get(tenant=world.a)
    secret = _secret(text)
    assert check_password(secret, rp.application.client_secret)
    assert (rp.kind, rp.unit, rp.claims) == (
        ClientKind.ONEROSTER,
        world.a_unit1,
        [ROSTER_CORE_READONLY, ROSTER_READONLY],
    )
    assert _token(rp.application.client_id, secret) == 200

    listing = client.get("/console/oneroster/").content.decode()
    assert "Brightspace" in listing
    assert secret not in listing
    again = client.get(f"/console/oneroster/{rp.pk}/credentials/").content.decode()
    assert secret not in again
    # Not a sign-in client: not on that page, and its edit page there is a 404.
    assert "Brightspace" not in client.get("/console/sign-in-clients/").content.decode()
    assert client.get(f"/console/sign-in-clients/{rp.pk}/").status_code == 404

    renewed = _secret(client.post(f"/console/oneroster/{rp.pk}/secret/", follow=True).content.decode())
    assert _token(rp.application.client_id, secret) == 401
    assert _token(rp.application.client_id, renewed) == 200
    client.post(f"/console/oneroster/{rp.pk}/disable/")
    assert _token(rp.application.client_id, renewed) == 401


def test_the_form_keeps_what_was_typed_and_says_what_is_missing(world):
    client = world.client_for(world.a_admin, world.a)
    page = client.post("/console/oneroster/new/", {"name": "Canvas SIS import", "scopes": []})
    assert page.status_code == 200
    text = page.content.decode()
    assert "Please correct the fields marked below" in text
    assert 'value="Canvas SIS import"' in text
    assert RelyingParty.objects.count() == 0
    bad = client.post("/console/oneroster/new/", {"name": "X", "scopes": ["https://example.test/scope"]})
    assert bad.status_code == 200
    assert RelyingParty.objects.count() == 0


def test_who_reaches_the_page(world):
    unit_admin = world.client_for(world.a_unit1_admin, world.a)
    page = unit_admin.get("/console/oneroster/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Download the OneRoster zip" in text
    assert "Register a OneRoster client" not in text
    assert unit_admin.get("/console/oneroster/new/").status_code == 404
    assert world.client_for(world.a_finance_all, world.a).get("/console/oneroster/").status_code == 404
    assert world.client_for(world.learner, world.a).get("/console/oneroster/").status_code == 404
    other = world.client_for(world.b_admin, world.b)
    admin = world.client_for(world.a_admin, world.a)
    admin.post("/console/oneroster/new/", {"name": "SIS", "scopes": [ROSTER_READONLY]})
    rp = RelyingParty.objects.get(tenant=world.a)
    assert other.get(f"/console/oneroster/{rp.pk}/credentials/").status_code == 404
    assert other.post(f"/console/oneroster/{rp.pk}/disable/").status_code == 404
    assert admin.post(f"/console/oneroster/{rp.pk}/explode/").status_code == 404

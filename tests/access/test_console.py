"""The console: tenant admins register, edit and disable relying parties (the secret shown once)
and rotate the signing key; unit staff manage their units' entitlements and export them."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from django.contrib.auth.hashers import check_password
from django.utils import timezone

from access.models import Entitlement, RelyingParty, SigningKey
from access.services.keys import signing_key_current
from enrollment.models import Enrollment, EnrollmentStatus
from tests.catalog.factories import OfferingFactory

pytestmark = pytest.mark.django_db

FORM = {
    "name": "Nursing Moodle",
    "redirect_uris": "https://moodle.alpha.test/admin/oauth2callback.php",
    "claims": ["email", "profile", "enrollments"],
    "first_party": "on",
    "pkce_required": "on",
}


def test_a_tenant_admin_registers_a_client_and_sees_its_secret_once(world):
    client = world.client_for(world.a_admin, world.a)

    page = client.post("/console/sign-in-clients/new/", {**FORM, "unit": world.a_unit1.pk}, follow=True)

    assert page.status_code == 200
    assert page["Cache-Control"] == "no-store"
    text = page.content.decode()
    assert "it is shown only this once" in text
    rp = RelyingParty.objects.get(tenant=world.a)
    secret = re.search(r'<code style="word-break:break-all">([^<]+)</code>', text)
    assert secret is not None
    assert check_password(secret.group(1), rp.application.client_secret)
    assert (rp.unit, rp.first_party, rp.claims) == (world.a_unit1, True, ["email", "profile", "enrollments"])
    assert rp.application.skip_authorization
    listing = client.get("/console/sign-in-clients/").content.decode()
    assert "Nursing Moodle" in listing
    assert secret.group(1) not in listing
    assert rp.application.client_id in listing
    again = client.get(f"/console/sign-in-clients/{rp.pk}/credentials/").content.decode()
    assert secret.group(1) not in again
    assert "Shown once, when it was made" in again
    assert RelyingParty.objects.count() == 1


def test_a_new_secret_replaces_the_old_one(world):
    client = world.client_for(world.a_admin, world.a)
    client.post("/console/sign-in-clients/new/", FORM)
    rp = RelyingParty.objects.get(tenant=world.a)
    old_hash = rp.application.client_secret

    page = client.post(f"/console/sign-in-clients/{rp.pk}/secret/", follow=True)

    assert "it is shown only this once" in page.content.decode()
    rp.application.refresh_from_db()
    assert rp.application.client_secret != old_hash


def test_a_wrong_redirect_uri_is_shown_on_the_form(world):
    client = world.client_for(world.a_admin, world.a)

    page = client.post("/console/sign-in-clients/new/", {**FORM, "redirect_uris": "javascript:alert(1)"})

    assert page.status_code == 200
    assert "is not an allowed address" in page.content.decode()
    assert not RelyingParty.objects.exists()


def test_editing_and_disabling(world):
    client = world.client_for(world.a_admin, world.a)
    client.post("/console/sign-in-clients/new/", FORM)
    rp = RelyingParty.objects.get(tenant=world.a)

    client.post(f"/console/sign-in-clients/{rp.pk}/", {**FORM, "name": "Moodle", "claims": ["email"]})
    client.post(f"/console/sign-in-clients/{rp.pk}/disable/")

    rp.refresh_from_db()
    assert (rp.name, rp.claims, rp.application.name) == ("Moodle", ["email"], "Moodle")
    assert rp.disabled_at is not None
    assert "Disabled" in client.get("/console/sign-in-clients/").content.decode()


def test_only_tenant_admins_and_only_their_tenant(world):
    world.client_for(world.a_admin, world.a).post("/console/sign-in-clients/new/", FORM)
    rp = RelyingParty.objects.get(tenant=world.a)

    assert world.client_for(world.a_unit1_admin, world.a).get("/console/sign-in-clients/").status_code == 404
    assert world.client_for(world.learner, world.a).get("/console/sign-in-clients/").status_code == 404
    beta = world.client_for(world.b_admin, world.b)
    assert beta.get(f"/console/sign-in-clients/{rp.pk}/").status_code == 404
    assert beta.post(f"/console/sign-in-clients/{rp.pk}/disable/").status_code == 404
    rp.refresh_from_db()
    assert rp.disabled_at is None


def test_rotating_the_signing_key_keeps_the_old_one_published(world):
    old = signing_key_current(tenant=world.a)
    client = world.client_for(world.a_admin, world.a)

    client.post("/console/sign-in-clients/rotate-key/")

    jwks = client.get("/oidc/jwks/").json()
    assert [k["kid"] for k in jwks["keys"]][1] == old.kid
    assert len(jwks["keys"]) == 2
    assert SigningKey.objects.filter(tenant=world.a, retired_at__isnull=True).exclude(pk=old.pk).exists()
    assert old.kid not in str(world.client_for(None, world.b).get("/oidc/jwks/").json())


def test_unit_staff_add_an_entitlement_and_export_who_has_it(world):
    offering = OfferingFactory.create(
        microcredential__unit=world.a_unit1,
        starts_at=timezone.now() + timedelta(days=3),
        seats_taken=1,
    )
    Enrollment.objects.create(
        tenant=world.a, offering=offering, learner=world.learner, status=EnrollmentStatus.CONFIRMED
    )
    client = world.client_for(world.a_unit1_admin, world.a)

    client.post(
        "/console/entitlements/",
        {
            "target": f"offering:{offering.pk}",
            "name": "Library e-resources",
            "identifier": "urn:mace:dir:entitlement:common-lib-terms",
            "days_before_start": "7",
            "days_after_end": "30",
        },
    )
    export = b"".join(client.get("/console/entitlements/active.csv").streaming_content).decode("utf-8-sig")

    entitlement = Entitlement.objects.get()
    assert (entitlement.offering, entitlement.days_before_start, entitlement.days_after_end) == (
        offering,
        7,
        30,
    )
    rows = list(csv.reader(io.StringIO(export)))
    assert rows[1][0] == world.learner.email
    assert rows[1][2:4] == ["Library e-resources", "urn:mace:dir:entitlement:common-lib-terms"]
    assert "Library e-resources" in client.get("/console/entitlements/").content.decode()


def test_entitlements_of_another_unit_are_out_of_reach(world):
    offering = OfferingFactory.create(microcredential__unit=world.a_unit2)
    client = world.client_for(world.a_unit1_admin, world.a)

    page = client.post(
        "/console/entitlements/",
        {
            "target": f"offering:{offering.pk}",
            "name": "Lab",
            "identifier": "lab",
            "days_before_start": "0",
            "days_after_end": "0",
        },
    )

    assert page.status_code == 200  # the choice is not offered: a form error
    assert not Entitlement.objects.exists()
    other = Entitlement.objects.create(tenant=world.a, offering=offering, name="Lab", identifier="lab")
    assert client.post(f"/console/entitlements/{other.pk}/delete/").status_code == 404
    assert Entitlement.objects.filter(pk=other.pk).exists()

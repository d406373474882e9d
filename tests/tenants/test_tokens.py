"""Personal API tokens: created and revoked in the console, shown once, stored hashed, scoped to
one tenant and one of the person's roles (proved through GET /api/v1/me/ and the lookup API)."""

from __future__ import annotations

import hashlib
import re

import pytest

from learners.services.records import learner_record_ensure
from tenants.models import ApiToken, StaffMembership, StaffRole
from tests.factories import UserFactory


def create_token(world, user, role, name="LMS sync", tenant=None):
    client = world.client_for(user, tenant or world.a)
    response = client.post("/console/tokens/", {"name": name, "role": role})
    assert response.status_code == 302, response.content.decode()
    page = client.get("/console/tokens/").content.decode()
    token = re.search(r'id="new-token" readonly value="(mc_[^"]+)"', page)
    assert token is not None
    return token.group(1), client


def api(world, token, path="/api/v1/me/", tenant=None, **extra):
    client = world.client_for(None, tenant or world.a)
    return client.get(path, HTTP_AUTHORIZATION=f"Bearer {token}", **extra)


def test_a_token_is_shown_once_and_only_its_hash_is_stored(world):
    token, client = create_token(world, world.a_unit1_admin, StaffRole.UNIT_ADMIN)

    row = ApiToken.objects.get()
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token.startswith(row.prefix + "_")
    assert token not in str(list(ApiToken.objects.values()))
    later = client.get("/console/tokens/").content.decode()
    assert token not in later
    assert f"{row.prefix}…" in later


def test_a_unit_admins_token_says_who_with_which_role_and_units(world):
    token, _client = create_token(world, world.a_unit1_admin, StaffRole.UNIT_ADMIN)

    response = api(world, token)

    assert response.status_code == 200
    assert response.json() == {
        "email": world.a_unit1_admin.email,
        "name": world.a_unit1_admin.email,
        "tenant": {"slug": "alpha", "name": "Alpha University"},
        "roles": ["unit_admin"],
        "units": ["continuing-ed"],
        "authenticated_by": "token",
        "token": {"name": "LMS sync", "prefix": ApiToken.objects.get().prefix},
    }
    assert ApiToken.objects.get().last_used_at is not None


def test_a_token_carries_only_the_role_it_was_made_for(world):
    person = world.a_admin
    StaffMembership.objects.create(tenant=world.a, user=person, role=StaffRole.FINANCE, all_units=True)
    learner_record_ensure(tenant=world.a, user=world.learner, origin="sign_in")
    finance_token, _ = create_token(world, person, StaffRole.FINANCE, name="Ledger export")
    admin_token, _ = create_token(world, person, StaffRole.TENANT_ADMIN, name="Roster sync")

    assert api(world, finance_token).json()["roles"] == ["finance"]
    assert api(world, admin_token).json()["roles"] == ["tenant_admin"]
    lookup = f"/api/v1/learners/?email={world.learner.email}"
    assert api(world, finance_token, lookup).status_code == 404
    found = api(world, admin_token, lookup)
    assert found.status_code == 200
    assert [r["email"] for r in found.json()["results"]] == [world.learner.email]


def test_a_unit_admins_token_finds_only_their_units_learners(world):
    mine = UserFactory.create(email="mine@example.test")
    theirs = UserFactory.create(email="theirs@example.test")
    learner_record_ensure(tenant=world.a, user=mine, origin="sign_in", unit=world.a_unit1)
    learner_record_ensure(tenant=world.a, user=theirs, origin="sign_in", unit=world.a_unit2)
    token, _ = create_token(world, world.a_unit1_admin, StaffRole.UNIT_ADMIN)

    assert api(world, token, "/api/v1/learners/?email=mine@example.test").json()["results"][0]["reasons"] == [
        "Came from Alpha Continuing Ed"
    ]
    assert api(world, token, "/api/v1/learners/?email=theirs@example.test").json() == {"results": []}


def test_a_token_is_refused_on_another_tenants_host(world):
    token, _ = create_token(world, world.a_admin, StaffRole.TENANT_ADMIN)

    response = api(world, token, tenant=world.b)

    assert response.status_code == 401
    assert response.json()["error"] == {
        "code": "authentication_failed",
        "message": "This API token is not valid for this site, or it was revoked.",
        "fields": {},
    }


def test_a_revoked_token_stops_working(world):
    token, client = create_token(world, world.a_unit1_admin, StaffRole.UNIT_ADMIN)
    row = ApiToken.objects.get()

    response = client.post(f"/console/tokens/{row.pk}/revoke/", follow=True)

    assert "Token “LMS sync” revoked; it no longer works." in response.content.decode()
    assert api(world, token).status_code == 401


def test_a_token_stops_working_when_its_role_is_removed(world):
    token, _ = create_token(world, world.a_unit1_admin, StaffRole.UNIT_ADMIN)
    StaffMembership.objects.filter(user=world.a_unit1_admin).delete()

    response = api(world, token)

    assert response.status_code == 401
    assert response.json()["error"]["message"] == "The role this API token was made for has been removed."


@pytest.mark.parametrize(
    "header", ["Bearer", "Bearer a b", "Bearer mc_00000000_notatoken", "Bearer \u00e9t\u00e9"]
)
def test_malformed_or_unknown_tokens_are_refused(world, header):
    response = world.client_for(None, world.a).get("/api/v1/me/", HTTP_AUTHORIZATION=header)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"


def test_no_credentials_is_401_with_a_bearer_challenge(world):
    response = world.client_for(None, world.a).get("/api/v1/me/")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_a_role_you_do_not_hold_cannot_be_chosen(world):
    client = world.client_for(world.a_unit1_admin, world.a)

    response = client.post("/console/tokens/", {"name": "Sneaky", "role": StaffRole.TENANT_ADMIN})

    assert response.status_code == 400
    assert "Select a valid choice." in response.content.decode()
    assert 'value="Sneaky"' in response.content.decode()
    assert not ApiToken.objects.exists()


def test_learners_have_no_token_page(world):
    assert world.client_for(world.learner, world.a).get("/console/tokens/").status_code == 404


def test_someone_elses_or_another_tenants_token_cannot_be_revoked(world):
    create_token(world, world.a_unit1_admin, StaffRole.UNIT_ADMIN)
    row = ApiToken.objects.get()

    colleague = world.client_for(world.a_admin, world.a).post(f"/console/tokens/{row.pk}/revoke/")
    stranger = world.client_for(world.b_admin, world.b).post(f"/console/tokens/{row.pk}/revoke/")

    assert (colleague.status_code, stranger.status_code) == (404, 404)
    row.refresh_from_db()
    assert row.is_active


def test_a_session_user_of_a_role_needing_mfa_but_without_it_is_refused_by_the_api(world):
    from tests.factories import make_staff

    admin = make_staff(world.a, StaffRole.TENANT_ADMIN, mfa=False)

    response = world.client_for(admin, world.a).get("/api/v1/me/")

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "mfa_required"

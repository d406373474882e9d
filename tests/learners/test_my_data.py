"""'Download my data' (everything held, as JSON) and 'Delete my account' (personal data gone,
rows that must be kept stay, pointing at an anonymous reference)."""

from __future__ import annotations

import json

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator

from identity.models import User
from learners.models import AccountMerge, ContactConsent, LearnerRecord
from learners.services.records import learner_record_ensure
from learners.services.staff import account_merge
from tenants.models import StaffInvitation, StaffMembership, StaffRole
from tenants.selectors import staff_access
from tests.factories import TOTP_SECRET, UserFactory, add_authenticator


def a_learner_with_history(world) -> User:
    """A learner with records at both tenants, a consent, an authenticator and a merge."""
    person = UserFactory.create(email="ada@example.test", full_name="Ada Lovelace", phone="+44 20 7946 0000")
    old = UserFactory.create(email="ada.old@example.test")
    for tenant, unit in ((world.a, world.a_unit1), (world.b, world.b_unit1)):
        learner_record_ensure(tenant=tenant, user=person, origin="sign_in", unit=unit)
    learner_record_ensure(tenant=world.a, user=old, origin="guest", unit=world.a_unit1)
    ContactConsent.objects.create(
        tenant=world.a, user=person, unit=world.a_unit1, topic="courses", granted=True
    )
    add_authenticator(person)
    access = staff_access(tenant=world.a, user=world.a_unit1_admin)
    account_merge(
        tenant=world.a, access=access, actor=world.a_unit1_admin, source_id=old.pk, target_id=person.pk
    )
    return person


def test_download_my_data_gives_everything_held_as_json(world):
    person = a_learner_with_history(world)

    response = world.client_for(person, world.a).get("/me/data.json")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="microcred-my-data-')
    assert response["Cache-Control"] == "no-store"
    data = json.loads(response.content)
    assert list(data) == [
        "format",
        "exported_at",
        "account",
        "staff",
        "learners",
        "enrollments",
        "orders",
        "credentials",
        "oidc_sign_ins",
        "sponsored_seats",
        "webhook_deliveries",
        "notify_me",
    ]
    assert data["account"]["email"] == "ada@example.test"
    assert data["account"]["full_name"] == "Ada Lovelace"
    assert data["account"]["phone"] == "+44 20 7946 0000"
    assert data["account"]["authenticators"][0]["type"] == "totp"
    assert [r["institution"] for r in data["learners"]["learner_records"]] == [
        "Alpha University",
        "Beta College",
    ]
    assert data["learners"]["contact_consents"][0] | {"recorded_at": "x"} == {
        "institution": "Alpha University",
        "unit": "Alpha Continuing Ed",
        "topic": "courses",
        "granted": True,
        "recorded_at": "x",
    }
    assert data["learners"]["account_merges"][0]["this_account_was"] == "target"
    # Never a secret: no password hash, no TOTP seed.
    assert TOTP_SECRET not in response.content.decode()
    assert person.password not in response.content.decode()


def test_staff_download_their_roles_and_token_names_but_never_tokens(world, client):
    from tenants.services import api_token_create

    access = staff_access(tenant=world.a, user=world.a_admin)
    _row, secret = api_token_create(
        tenant=world.a, access=access, user=world.a_admin, role="tenant_admin", name="LMS"
    )

    data = world.client_for(world.a_admin, world.a).get("/me/data.json").json()

    assert data["staff"]["roles"][0]["role"] == "tenant_admin"
    assert data["staff"]["api_tokens"][0]["name"] == "LMS"
    assert secret not in json.dumps(data)


def test_deleting_an_account_asks_to_confirm_with_the_address(world):
    client = world.client_for(world.learner, world.a)

    page = client.get("/me/delete/").content.decode()
    response = client.post("/me/delete/", {"confirm_email": "someone.else@example.test"})

    assert "Type your e-mail address to confirm" in page
    assert response.status_code == 400
    assert (
        f"This is not your account&#x27;s e-mail address ({world.learner.email})."
        in response.content.decode()
    )
    world.learner.refresh_from_db()
    assert world.learner.is_active
    assert world.learner.deleted_at is None


def test_deleting_removes_personal_data_and_keeps_records_with_an_anonymous_reference(world):
    person = a_learner_with_history(world)
    client = world.client_for(person, world.a)

    response = client.post("/me/delete/", {"confirm_email": "ADA@example.test"}, follow=True)

    assert "Your account is deleted." in response.content.decode()
    assert client.get("/me/").status_code == 302  # signed out
    person.refresh_from_db()
    reference = person.anonymous_reference
    assert reference.startswith("anon-")
    assert person.email == f"{reference}@deleted.invalid"
    assert (person.full_name, person.preferred_name, person.phone) == ("", "", "")
    assert not person.is_active
    assert not person.has_usable_password()
    assert not EmailAddress.objects.filter(user=person).exists()
    assert not Authenticator.objects.filter(user=person).exists()
    assert not ContactConsent.objects.filter(user=person).exists()
    # Kept: the rows others must keep still point at the (now anonymous) account.
    assert LearnerRecord.objects.filter(user=person).count() == 2
    merge = AccountMerge.objects.get()
    assert (merge.target_id, merge.target_email) == (person.pk, reference)
    assert merge.source_email == "ada.old@example.test"
    # The address is free again: the person may come back as a new account.
    assert not User.objects.filter(email__iexact="ada@example.test").exists()
    assert (
        world.client_for(None, world.a).post("/accounts/signup/", {"email": "ada@example.test"}).status_code
        == 302
    )


def test_an_invitation_someone_sent_stays_and_points_at_the_anonymous_account(world):
    inviter = UserFactory.create()
    invitation = StaffInvitation.objects.create(
        tenant=world.a,
        email=world.learner.email,
        role=StaffRole.UNIT_ADMIN,
        token="t" * 40,
        invited_by=inviter,
        expires_at="2030-01-01T00:00:00Z",
    )
    world.client_for(inviter, world.a).post("/me/delete/", {"confirm_email": inviter.email})
    world.client_for(world.learner, world.a).post("/me/delete/", {"confirm_email": world.learner.email})

    invitation.refresh_from_db()
    inviter.refresh_from_db()
    world.learner.refresh_from_db()
    assert invitation.invited_by == inviter
    assert inviter.deleted_at is not None
    assert invitation.email == f"{world.learner.anonymous_reference}@deleted.invalid"


def test_staff_cannot_delete_their_account_while_they_hold_a_role(world):
    client = world.client_for(world.a_unit1_admin, world.a)

    page = client.get("/me/delete/").content.decode()
    response = client.post("/me/delete/", {"confirm_email": world.a_unit1_admin.email})

    assert "You are staff of Alpha University. Ask an administrator there to remove your role" in page
    assert response.status_code == 409
    world.a_unit1_admin.refresh_from_db()
    assert world.a_unit1_admin.is_active
    assert world.a_unit1_admin.deleted_at is None
    assert StaffMembership.objects.filter(user=world.a_unit1_admin).exists()

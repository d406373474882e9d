"""Unit admins look learners up by e-mail within their units, merge two accounts of one person
(records move; the audit trail says who merged what) and e-mail a learner a sign-in code."""

from __future__ import annotations

import pytest
from django.core import mail
from django.utils import timezone

from learners.models import AccountMerge, ContactConsent, LearnerRecord, StaffIssuedCode
from learners.services.records import learner_record_ensure
from tenants.models import StaffMembership
from tests.factories import UserFactory
from tests.learners.helpers import code_in, last_mail_to


@pytest.fixture
def people(world):
    """Ada came from unit 1's pages with two accounts; Bob from unit 2's; Cy only uses tenant B."""
    ada = UserFactory.create(email="ada@example.test", full_name="Ada Lovelace")
    ada_work = UserFactory.create(email="ada@work.example.test")
    bob = UserFactory.create(email="bob@example.test")
    cy = UserFactory.create(email="cy@example.test")
    learner_record_ensure(tenant=world.a, user=ada, origin="sign_up", unit=world.a_unit1)
    learner_record_ensure(tenant=world.a, user=ada_work, origin="guest", unit=world.a_unit1)
    learner_record_ensure(tenant=world.a, user=bob, origin="sign_up", unit=world.a_unit2)
    learner_record_ensure(tenant=world.b, user=cy, origin="sign_up", unit=world.b_unit1)
    learner_record_ensure(tenant=world.b, user=ada_work, origin="sign_up", unit=world.b_unit1)
    return {"ada": ada, "ada_work": ada_work, "bob": bob, "cy": cy}


def lookup(world, user, tenant, email):
    return world.client_for(user, tenant).get("/console/learners/", {"email": email})


def test_a_unit_admin_finds_a_learner_of_their_unit(world, people):
    response = lookup(world, world.a_unit1_admin, world.a, "ADA@example.test")

    page = response.content.decode()
    assert response.status_code == 200
    assert "Ada Lovelace" in page
    assert "Came from Alpha Continuing Ed" in page


@pytest.mark.parametrize(
    ("who", "tenant", "email"),
    [
        ("a_unit1_admin", "a", "bob@example.test"),  # another unit's learner
        ("a_unit1_admin", "a", "cy@example.test"),  # another tenant's learner
        ("b_admin", "b", "ada@example.test"),  # known to A only
        ("a_admin", "a", "ada@example.tes"),  # only exact addresses
    ],
)
def test_learners_out_of_reach_are_not_found(world, people, who, tenant, email):
    response = lookup(world, getattr(world, who), getattr(world, tenant), email)

    assert response.status_code == 200
    assert "No learner of your units uses this address." in response.content.decode()
    assert "Came from" not in response.content.decode()


def test_a_tenant_admin_finds_learners_of_every_unit(world, people):
    page = lookup(world, world.a_admin, world.a, "bob@example.test").content.decode()

    assert "Has used this site since" in page


def test_finance_and_learners_do_not_reach_the_learner_pages(world, people):
    assert lookup(world, world.a_finance_all, world.a, "ada@example.test").status_code == 404
    assert lookup(world, world.learner, world.a, "ada@example.test").status_code == 404
    assert lookup(world, world.b_admin, world.a, "ada@example.test").status_code == 404


def test_a_unit_admin_merges_two_accounts_of_one_person(world, people):
    ada, work = people["ada"], people["ada_work"]
    ContactConsent.objects.create(
        tenant=world.a, user=work, unit=world.a_unit1, topic="courses", granted=True
    )
    ContactConsent.objects.create(
        tenant=world.b, user=work, unit=world.b_unit1, topic="courses", granted=True
    )
    client = world.client_for(world.a_unit1_admin, world.a)
    form = {"source_email": work.email, "target_email": ada.email}

    check = client.post("/console/learners/merge/", form)
    response = client.post("/console/learners/merge/", {**form, "confirm": "yes"}, follow=True)

    assert "Move the records of ada@work.example.test into ada@example.test?" in check.content.decode()
    assert "Merged: ada@work.example.test&#x27;s records here now belong to ada@example.test." in (
        response.content.decode()
    )
    merge = AccountMerge.objects.get()
    assert (merge.tenant, merge.actor, merge.source, merge.target) == (
        world.a,
        world.a_unit1_admin,
        work,
        ada,
    )
    assert merge.actor_email == world.a_unit1_admin.email
    assert merge.moved == {
        "learner_records": 1,
        "contact_consents": 1,
        "reminder_opt_outs": 0,
        "enrollments": 0,
        "orders": 0,
        "credentials": 0,
        "webhook_deliveries": 0,
        "notify_me": 0,
    }
    source_record = LearnerRecord.objects.get(tenant=world.a, user=work)
    assert source_record.merged_into == LearnerRecord.objects.get(tenant=world.a, user=ada)
    assert ContactConsent.objects.get(tenant=world.a).user == ada
    # Tenant B's records of the same account do not move.
    assert ContactConsent.objects.get(tenant=world.b).user == work
    assert LearnerRecord.objects.get(tenant=world.b, user=work).merged_into is None
    # The audit trail shows on the page; the merged account is no longer found here.
    assert (
        "ada@work.example.test"
        in lookup(world, world.a_unit1_admin, world.a, "x@example.test").content.decode()
    )
    assert "Came from" not in lookup(world, world.a_unit1_admin, world.a, work.email).content.decode()


def test_merging_needs_both_learners_within_reach_and_changes_nothing_otherwise(world, people):
    client = world.client_for(world.a_unit1_admin, world.a)

    response = client.post(
        "/console/learners/merge/",
        {"source_email": "bob@example.test", "target_email": "ada@example.test", "confirm": "yes"},
    )

    assert response.status_code == 400
    assert "No learner of your units uses this address." in response.content.decode()
    assert not AccountMerge.objects.exists()
    assert LearnerRecord.objects.get(tenant=world.a, user=people["bob"]).merged_into is None


def test_an_account_cannot_be_merged_into_itself(world, people):
    client = world.client_for(world.a_unit1_admin, world.a)

    response = client.post(
        "/console/learners/merge/",
        {"source_email": "ada@example.test", "target_email": "ADA@example.test", "confirm": "yes"},
    )

    assert response.status_code == 400
    assert "These are the same account; choose two different ones." in response.content.decode()
    assert not AccountMerge.objects.exists()


def test_unit_admins_see_only_their_own_merges(world, people):
    world.client_for(world.a_unit1_admin, world.a).post(
        "/console/learners/merge/",
        {"source_email": "ada@work.example.test", "target_email": "ada@example.test", "confirm": "yes"},
    )
    other_unit_admin = UserFactory.create()
    StaffMembership.objects.create(tenant=world.a, user=other_unit_admin, role="unit_admin").units.set(
        [world.a_unit2]
    )

    assert (
        "ada@work.example.test" not in lookup(world, other_unit_admin, world.a, "x@y.test").content.decode()
    )
    assert "ada@work.example.test" in lookup(world, world.a_admin, world.a, "x@y.test").content.decode()


def test_a_unit_admin_sends_a_sign_in_code_the_learner_uses_once(world, people):
    ada = people["ada"]
    admin = world.client_for(world.a_unit1_admin, world.a)

    response = admin.post(f"/console/learners/{ada.pk}/code/", follow=True)

    assert "A sign-in code is on its way to ada@example.test." in response.content.decode()
    message = last_mail_to("ada@example.test")
    assert message.subject.startswith("[Alpha University] Your sign-in code: ")
    assert "http://alpha.test/accounts/code/?email=ada%40example.test" in message.body
    code = code_in(message)
    assert code not in StaffIssuedCode.objects.get().code_hash

    learner = world.client_for(None, world.a)
    wrong = learner.post("/accounts/code/", {"email": "ada@example.test", "code": "BBBB-BBBB"})
    right = learner.post("/accounts/code/", {"email": "ada@example.test", "code": code.lower()})

    assert wrong.status_code == 400
    assert "That code is not right." in wrong.content.decode()
    assert right.status_code == 302
    assert learner.get("/me/").status_code == 200
    again = world.client_for(None, world.a).post(
        "/accounts/code/", {"email": "ada@example.test", "code": code}
    )
    assert again.status_code == 400
    assert "No code is waiting for this address, or it was used already." in again.content.decode()


def test_a_staff_issued_code_expires_and_locks_after_three_wrong_tries(world, people):
    admin = world.client_for(world.a_unit1_admin, world.a)
    admin.post(f"/console/learners/{people['ada'].pk}/code/")
    code = code_in(last_mail_to("ada@example.test"))
    learner = world.client_for(None, world.a)
    for _ in range(2):
        learner.post("/accounts/code/", {"email": "ada@example.test", "code": "BBBB-BBBB"})
    third = learner.post("/accounts/code/", {"email": "ada@example.test", "code": "BBBB-BBBB"})
    after = learner.post("/accounts/code/", {"email": "ada@example.test", "code": code})

    assert third.status_code == 429
    assert "Too many wrong codes." in third.content.decode()
    assert after.status_code == 400
    assert learner.get("/me/").status_code == 302

    admin.post(f"/console/learners/{people['ada'].pk}/code/")
    fresh = code_in(last_mail_to("ada@example.test"))
    StaffIssuedCode.objects.filter(used_at__isnull=True).update(expires_at=timezone.now())
    expired = learner.post("/accounts/code/", {"email": "ada@example.test", "code": fresh})
    assert "This code has expired. Ask for a new one." in expired.content.decode()
    assert learner.get("/me/").status_code == 302


def test_sending_a_code_to_a_learner_out_of_reach_is_404_and_sends_nothing(world, people):
    admin = world.client_for(world.a_unit1_admin, world.a)

    assert admin.post(f"/console/learners/{people['bob'].pk}/code/").status_code == 404
    assert admin.post(f"/console/learners/{people['cy'].pk}/code/").status_code == 404
    assert mail.outbox == []
    assert not StaffIssuedCode.objects.exists()


def test_a_code_from_one_tenants_staff_does_not_work_on_another_tenants_site(world, people):
    world.client_for(world.a_admin, world.a).post(f"/console/learners/{people['ada_work'].pk}/code/")
    code = code_in(last_mail_to("ada@work.example.test"))

    response = world.client_for(None, world.b).post(
        "/accounts/code/", {"email": "ada@work.example.test", "code": code}
    )

    assert response.status_code == 400
    assert world.client_for(None, world.b).get("/me/").status_code == 302

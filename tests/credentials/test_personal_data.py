"""A learner's credentials in "Download my data", "Delete my account" and account merges."""

from __future__ import annotations

import json

import pytest

from credentials.models import Credential, CredentialKind, CredentialStatus, RecordShare
from credentials.services import stacks
from credentials.services.issue import credential_issue
from credentials.services.verify import verify_credential
from learners.services.records import learner_record_ensure
from learners.services.staff import account_merge
from tenants.selectors import staff_access
from tests.catalog.factories import MicrocredentialFactory
from tests.credentials.conftest import completed_enrollment
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_download_my_data_includes_credentials_and_record_links(world, sent):
    learner = UserFactory.create(email="ada@example.test", full_name="Ada Lovelace")
    credential = credential_issue(enrollment_id=completed_enrollment(world, learner=learner).pk)
    RecordShare.objects.create(tenant=world.a, learner=learner, token="t" * 40)
    response = world.client_for(learner, world.a).get("/me/data.json")
    assert response.status_code == 200
    data = json.loads(b"".join(response.streaming_content) if response.streaming else response.content)
    (exported,) = data["credentials"]["credentials"]
    assert exported["id"] == f"urn:uuid:{credential.public_id}"
    assert exported["title"] == "Data Analysis with SQL"
    assert exported["document"]["proof"]["type"] == "DataIntegrityProof"
    assert len(data["credentials"]["record_links"]) == 1


def test_deleting_the_account_revokes_its_credentials_and_removes_the_holder(world, sent):
    learner = UserFactory.create(email="ada@example.test", full_name="Ada Lovelace")
    credential = credential_issue(enrollment_id=completed_enrollment(world, learner=learner).pk)
    share = RecordShare.objects.create(tenant=world.a, learner=learner, token="s" * 40)
    client = world.client_for(learner, world.a)
    assert client.post("/me/delete/", {"confirm_email": "ada@example.test"}).status_code == 302

    credential.refresh_from_db()
    assert credential.status == CredentialStatus.REVOKED
    assert "deleted their account" in credential.status_reason
    subject = credential.document["credentialSubject"]
    assert "name" not in subject
    assert "identifier" not in subject
    assert subject["achievement"]["name"] == "Data Analysis with SQL"
    share.refresh_from_db()
    assert share.revoked_at is not None
    page = world.client_for(None, world.a).get(f"/credentials/{credential.public_id}/").content.decode()
    assert "Ada Lovelace" not in page
    assert "Revoked" in page
    assert not verify_credential(credential).ok


def test_a_merge_moves_credentials_and_the_merged_account_earns_its_stack(world, sent):
    sql = MicrocredentialFactory.create(unit=world.a_unit1, title="SQL")
    python = MicrocredentialFactory.create(unit=world.a_unit1, title="Python")
    stack = MicrocredentialFactory.create(unit=world.a_unit1, title="Analyst", parts=[sql, python])
    person = UserFactory.create(email="ada@example.test")
    old = UserFactory.create(email="ada.old@example.test")
    for user, part in ((person, sql), (old, python)):
        learner_record_ensure(tenant=world.a, user=user, origin="guest", unit=world.a_unit1)
        enrollment = completed_enrollment(world, learner=user)
        enrollment.offering.microcredential = part
        enrollment.offering.save()
        credential_issue(enrollment_id=enrollment.pk)
    access = staff_access(tenant=world.a, user=world.a_unit1_admin)
    merge = account_merge(
        tenant=world.a, access=access, actor=world.a_unit1_admin, source_id=old.pk, target_id=person.pk
    )
    assert merge.moved["credentials"] == 1
    assert Credential.objects.filter(learner=person).count() == 2
    (awarded,) = stacks.stacks_check(tenant_id=world.a.pk, learner_id=person.pk).awarded
    assert awarded.microcredential_id == stack.pk
    assert awarded.kind == CredentialKind.STACK

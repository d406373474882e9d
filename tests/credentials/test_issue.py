"""Issuing: keys, the credential's content, exactly once, the listener."""

from __future__ import annotations

import hashlib

import pytest
from django.db import transaction

from credentials.errors import NotCompleted
from credentials.models import Credential, CredentialEvent, CredentialMessage, CredentialStatus, IssuerKey
from credentials.presenters import skills_of
from credentials.services import changes, keys, listeners
from credentials.services.issue import credential_issue
from credentials.services.verify import verify_credential
from enrollment.extensions import CompletionChanged
from enrollment.models import EnrollmentStatus
from tests.credentials.conftest import completed_enrollment

pytestmark = pytest.mark.django_db


def test_a_completion_earns_a_signed_open_badge(world, sent, django_capture_on_commit_callbacks):
    enrollment = completed_enrollment(world)
    with django_capture_on_commit_callbacks(execute=True):
        credential = credential_issue(enrollment_id=enrollment.pk)
    doc = credential.document
    assert doc["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert doc["@context"][0] == "https://www.w3.org/ns/credentials/v2"
    assert doc["id"] == f"urn:uuid:{credential.public_id}"
    assert doc["issuer"]["id"] == "did:web:alpha.test:units:continuing-ed"
    assert doc["issuer"]["name"] == "Alpha Continuing Ed"
    assert doc["proof"]["verificationMethod"] == "did:web:alpha.test:units:continuing-ed#key-1"
    subject = doc["credentialSubject"]
    assert subject["name"] == "Ada Lovelace"
    identity = subject["identifier"][0]
    assert identity["hashed"] is True
    assert (
        identity["identityHash"]
        == "sha256$"
        + hashlib.sha256((enrollment.learner.email.lower() + identity["salt"]).encode()).hexdigest()
    )
    assert enrollment.learner.email not in str(doc)
    achievement = subject["achievement"]
    assert achievement["achievementType"] == "MicroCredential"
    assert achievement["name"] == "Data Analysis with SQL"
    assert "Write SQL queries" in achievement["criteria"]["narrative"]
    assert achievement["creditsAvailable"] == 1.5
    assert [a["targetName"] for a in achievement["alignment"]] == ["SQL", "pandas"]
    assert achievement["image"]["id"].endswith(f"/badges/{enrollment.offering.microcredential_id}.png")
    purposes = [(s["statusPurpose"], s["statusListIndex"]) for s in doc["credentialStatus"]]
    assert purposes == [("revocation", "0"), ("suspension", "0")]
    verdict = verify_credential(credential)
    assert verdict.ok, verdict.checks
    assert list(CredentialEvent.objects.filter(credential=credential).values_list("action", flat=True)) == [
        "issued"
    ]
    message = CredentialMessage.objects.get(credential=credential)
    assert message.kind == "issued"
    assert ("credentials.send_message", (message.pk,)) in sent


def test_issuing_twice_gives_the_same_credential(world, sent):
    enrollment = completed_enrollment(world)
    first = credential_issue(enrollment_id=enrollment.pk)
    second = credential_issue(enrollment_id=enrollment.pk)
    assert first == second
    assert Credential.objects.filter(enrollment=enrollment).count() == 1
    assert CredentialMessage.objects.count() == 1


def test_indexes_are_per_unit_and_never_shared(world, sent):
    a = [credential_issue(enrollment_id=completed_enrollment(world).pk) for _ in range(3)]
    other = credential_issue(enrollment_id=completed_enrollment(world, unit=world.a_unit2).pk)
    assert [c.status_index for c in a] == [0, 1, 2]
    assert other.status_index == 0


def test_an_enrollment_not_completed_earns_nothing(world, sent):
    enrollment = completed_enrollment(world)
    enrollment.status = EnrollmentStatus.CONFIRMED
    enrollment.save()
    with pytest.raises(NotCompleted):
        credential_issue(enrollment_id=enrollment.pk)
    assert not Credential.objects.exists()


def test_keys_are_encrypted_and_rotation_keeps_old_credentials_valid(world, sent):
    old = credential_issue(enrollment_id=completed_enrollment(world).pk)
    key = IssuerKey.objects.get(unit=world.a_unit1)
    assert "PRIVATE KEY" not in key.private_key_encrypted
    assert key.public_key_multibase.startswith("z6Mk")
    keys.key_rotate(unit=world.a_unit1)
    new = credential_issue(enrollment_id=completed_enrollment(world).pk)
    assert new.document["proof"]["verificationMethod"].endswith("#key-2")
    did = keys.did_document(unit=world.a_unit1)
    assert [m["id"].rsplit("#")[1] for m in did["verificationMethod"]] == ["key-1", "key-2"]
    assert did["assertionMethod"] == [m["id"] for m in did["verificationMethod"]]
    assert verify_credential(old).ok
    assert verify_credential(new).ok


def test_the_did_percent_encodes_a_port(world, settings):
    settings.PUBLIC_PORT = "8000"
    assert keys.issuer_profile(unit=world.a_unit1)["id"] == "did:web:alpha.test%3A8000:units:continuing-ed"


def test_the_listener_asks_for_a_credential_on_completion(world, sent):
    enrollment = completed_enrollment(world)
    listeners.completion_changed(
        CompletionChanged(
            world.a.pk, enrollment.pk, completed=True, corrected=False, reason="", actor_id=None
        )
    )
    assert sent == [("credentials.issue", (enrollment.pk,))]


def test_a_correction_to_not_completed_revokes_with_its_reason(world, sent):
    enrollment = completed_enrollment(world)
    credential = credential_issue(enrollment_id=enrollment.pk)
    enrollment.status = EnrollmentStatus.CONFIRMED
    enrollment.save()
    sent.clear()
    with transaction.atomic():
        listeners.completion_changed(
            CompletionChanged(
                world.a.pk,
                enrollment.pk,
                completed=False,
                corrected=True,
                reason="Grade entered in error",
                actor_id=world.a_admin.pk,
            )
        )
    credential.refresh_from_db()
    assert credential.status == CredentialStatus.REVOKED
    assert credential.status_reason == "Grade entered in error"
    event = credential.events.get(action="revoked")
    assert (event.action, event.reason, event.actor) == ("revoked", "Grade entered in error", world.a_admin)
    assert CredentialMessage.objects.filter(credential=credential, kind="revoked").exists()
    assert "credentials.issue" not in [name for name, _ in sent]  # nothing to issue again
    verdict = verify_credential(credential)
    assert not verdict.ok
    assert "revoked" in {c.name: c for c in verdict.checks}["status"].message


def test_a_correction_that_stays_completed_revokes_and_issues_again(world, sent):
    enrollment = completed_enrollment(world)
    old = credential_issue(enrollment_id=enrollment.pk)
    listeners.completion_changed(
        CompletionChanged(
            world.a.pk, enrollment.pk, completed=True, corrected=True, reason="Re-graded", actor_id=None
        )
    )
    old.refresh_from_db()
    assert old.status == CredentialStatus.REVOKED
    assert ("credentials.issue", (enrollment.pk,)) in sent
    new = credential_issue(enrollment_id=enrollment.pk)
    assert new != old
    assert new.status == CredentialStatus.ACTIVE


def test_a_revocation_that_cannot_run_now_goes_to_a_job_that_revokes_then_issues(world, sent, monkeypatch):
    from credentials.errors import CredentialsBusy
    from credentials.tasks import completion_apply

    enrollment = completed_enrollment(world)
    old = credential_issue(enrollment_id=enrollment.pk)
    real = changes.credentials_revoke_for_enrollment

    def busy(**kwargs: object) -> list[Credential]:
        raise CredentialsBusy("busy")

    monkeypatch.setattr(listeners, "credentials_revoke_for_enrollment", busy)
    change = CompletionChanged(
        world.a.pk, enrollment.pk, completed=True, corrected=True, reason="Re-graded", actor_id=None
    )
    listeners.completion_changed(change)
    assert sent[-1] == ("credentials.completion_apply", (enrollment.pk, True, "Re-graded", None))
    assert ("credentials.issue", (enrollment.pk,)) not in sent  # not before the revocation
    old.refresh_from_db()
    assert old.status == CredentialStatus.ACTIVE
    monkeypatch.setattr(listeners, "credentials_revoke_for_enrollment", real)
    completion_apply(*sent[-1][1])
    old.refresh_from_db()
    assert old.status == CredentialStatus.REVOKED
    live = Credential.objects.get(enrollment=enrollment, status=CredentialStatus.ACTIVE)
    assert live != old


def test_the_listener_is_registered_and_the_task_is_safe_to_rerun(world, sent):
    from credentials import tasks
    from enrollment import extensions

    assert extensions.completion_listeners.get("credentials") is listeners.completion_changed
    enrollment = completed_enrollment(world)
    assert tasks.credential_issue(enrollment.pk) is True
    assert tasks.credential_issue(enrollment.pk) is True
    assert Credential.objects.filter(enrollment=enrollment).count() == 1
    assert tasks.credential_issue(10**9) is False  # no such enrollment
    enrollment.status = EnrollmentStatus.CANCELLED
    enrollment.save()
    other = completed_enrollment(world)
    other.status = EnrollmentStatus.CONFIRMED
    other.save()
    assert tasks.credential_issue(other.pk) is False


def test_the_sweep_finds_completions_without_a_credential(world, sent):
    from datetime import timedelta

    from django.utils import timezone

    from credentials import tasks
    from enrollment.models import Enrollment

    waiting = completed_enrollment(world)
    done = completed_enrollment(world)
    credential_issue(enrollment_id=done.pk)
    Enrollment.objects.update(updated_at=timezone.now() - timedelta(minutes=5))
    completed_enrollment(world)  # completed just now: left to its own job
    assert tasks.credentials_issue_due() == 1
    assert sent == [("credentials.issue_many", ([waiting.pk],))]


@pytest.mark.parametrize(("skills", "shown"), [("", []), ("SQL, pandas", ["SQL", "pandas"])])
def test_the_share_page_lists_the_skills_and_never_the_level_as_one(world, sent, skills, shown):
    credential = credential_issue(enrollment_id=completed_enrollment(world, skills=skills).pk)
    achievement = credential.document["credentialSubject"]["achievement"]
    assert skills_of(achievement, credential.microcredential) == shown

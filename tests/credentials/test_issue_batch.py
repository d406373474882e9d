"""Issuing a completion file's credentials in one job: the same credentials as one by one, each
once, each really signed, each learner told once."""

from __future__ import annotations

import copy
import json
from datetime import timedelta

import pytest
from django.core import mail
from django.test import override_settings
from django.utils import timezone

from credentials import messages_tasks, tasks
from credentials.models import Credential, CredentialEvent, CredentialMessage, CredentialStatus
from credentials.services import issue_batch, keys, proof
from credentials.services.issue import credential_issue
from credentials.services.verify import verify_credential, verify_document
from enrollment.models import CompletionSource, Enrollment, EnrollmentStatus
from enrollment.services.completion import GOOD_ROWS
from enrollment.services.completion_many import Wanted, completions_apply
from tenants.selectors import staff_access
from tests.catalog.factories import OfferingFactory
from tests.credentials.conftest import completed_enrollment
from tests.factories import UserFactory
from tests.mail_backends import REFUSING

pytestmark = pytest.mark.django_db

NAMES = ["Ada Lovelace", "", 'Zoë "Z" O\'Brien \\ jr.', "Line\nbreak", "  Grace Hopper  "]


@pytest.fixture
def batch(django_capture_on_commit_callbacks):
    """credentials_issue_batch, its after-commit asks (the `sent` fixture hears them) included."""

    def run(enrollments):
        with django_capture_on_commit_callbacks(execute=True):
            return issue_batch.credentials_issue_batch(enrollment_ids=[e.pk for e in enrollments])

    return run


def cohort(world, names=NAMES, *, unit=None):
    """Completed enrollments of one offering, one per name (a blank name: a learner without one)."""
    offering = OfferingFactory.create(
        microcredential__unit=unit or world.a_unit1,
        microcredential__title="Data Analysis with SQL",
        microcredential__skills="SQL, pandas",
        microcredential__credit_value="1.50",
        capacity=len(names) + 1,
        price_minor=0,
    )
    return [
        Enrollment.objects.create(
            tenant=offering.tenant,
            offering=offering,
            learner=UserFactory.create(full_name=name),
            status=EnrollmentStatus.COMPLETED,
        )
        for name in names
    ]


def test_a_batch_gets_distinct_indexes_each_verifies_and_each_learner_is_told_once(world, sent, batch):
    enrollments = cohort(world)
    issued = batch(enrollments)
    assert len(issued) == len(enrollments)
    stored = Credential.objects.filter(enrollment__in=enrollments)
    assert stored.count() == len(enrollments)
    assert sorted(c.status_index for c in stored) == list(range(len(enrollments)))
    for credential in stored:
        verdict = verify_credential(credential)
        assert verdict.ok, verdict.checks
        subject = credential.document["credentialSubject"]
        assert subject.get("name", "") == credential.learner.full_name.strip()
        assert credential.document["proof"]["verificationMethod"].endswith("#key-1")
    assert CredentialEvent.objects.filter(credential__in=stored, action="issued").count() == len(enrollments)
    messages = CredentialMessage.objects.filter(credential__in=stored)
    assert messages.count() == len(enrollments)
    [job] = [args for name, args in sent if name == "credentials.send_messages"]
    assert sorted(job[0]) == sorted(m.pk for m in messages)
    assert messages_tasks.credential_messages_send(*job) == len(enrollments)
    assert sorted(m.to[0] for m in mail.outbox) == sorted(e.learner.email for e in enrollments)
    assert messages_tasks.credential_messages_send(*job) == 0  # the job again: nobody twice
    assert len(mail.outbox) == len(enrollments)


def test_the_same_batch_again_issues_nothing_twice(world, sent, django_capture_on_commit_callbacks):
    enrollments = cohort(world, ["A", "B", "C"])
    ids = [e.pk for e in enrollments]
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.credentials_issue_many(ids) == 3
        assert tasks.credentials_issue_many(ids) == 0
    assert Credential.objects.filter(enrollment__in=enrollments).count() == 3
    assert CredentialMessage.objects.count() == 3
    assert [name for name, _ in sent].count("credentials.send_messages") == 1


def test_only_completed_enrollments_without_a_live_credential_are_issued(world, sent, batch):
    done, waiting, not_completed = cohort(world, ["Done", "Waiting", "Not completed"])
    earlier = credential_issue(enrollment_id=done.pk)
    Enrollment.objects.filter(pk=not_completed.pk).update(status=EnrollmentStatus.CONFIRMED)
    issued = batch([done, waiting, not_completed])
    assert [c.enrollment_id for c in issued] == [waiting.pk]
    assert Credential.objects.get(enrollment=done) == earlier
    assert not Credential.objects.filter(enrollment=not_completed).exists()


def test_credentials_of_two_units_in_one_batch_each_take_their_units_index_and_key(world, sent, batch):
    ours = cohort(world, ["A", "B"])
    theirs = cohort(world, ["C"], unit=world.a_unit2)
    issued = batch(ours + theirs)
    by_unit = {(c.unit_id, c.status_index) for c in issued}
    assert by_unit == {(world.a_unit1.pk, 0), (world.a_unit1.pk, 1), (world.a_unit2.pk, 0)}
    for credential in issued:
        assert verify_credential(credential).ok
        assert credential.document["issuer"]["id"].endswith(f":units:{credential.unit.slug}")


def test_a_credential_issued_meanwhile_by_another_job_is_not_issued_again(world, sent, batch, monkeypatch):
    enrollments = cohort(world, ["A", "B", "C"])
    real = issue_batch._sign_all

    def sign_then_race(*args, **kwargs):
        signed = real(*args, **kwargs)
        credential_issue(enrollment_id=enrollments[1].pk)  # a single job, while this one signed
        return signed

    monkeypatch.setattr(issue_batch, "_sign_all", sign_then_race)
    issued = batch(enrollments)
    assert sorted(c.enrollment_id for c in issued) == [enrollments[0].pk, enrollments[2].pk]
    assert Credential.objects.filter(enrollment__in=enrollments).count() == 3
    indexes = list(Credential.objects.filter(unit=world.a_unit1).values_list("status_index", flat=True))
    assert len(indexes) == len(set(indexes))


def test_a_correction_meanwhile_leaves_the_enrollment_to_the_corrections_job(world, sent, batch, monkeypatch):
    offering, enrollments = _started(world, 2)
    _record_file(world, offering, enrollments, result="B")
    real = issue_batch._sign_all

    def sign_then_correct(*args, **kwargs):
        signed = real(*args, **kwargs)
        _record_file(world, offering, enrollments[:1], result="A", reason="Re-graded")
        return signed

    monkeypatch.setattr(issue_batch, "_sign_all", sign_then_correct)
    issued = batch(enrollments)
    assert [c.enrollment_id for c in issued] == [enrollments[1].pk]  # the other's grounds changed
    monkeypatch.setattr(issue_batch, "_sign_all", real)
    [again] = batch(enrollments[:1])
    assert again.document["credentialSubject"]["result"][0]["value"] == "A"


def test_a_completion_file_asks_for_one_issue_job(world, sent, django_capture_on_commit_callbacks):
    offering, enrollments = _started(world, 3)
    with django_capture_on_commit_callbacks(execute=True):
        _record_file(world, offering, enrollments, result="Pass")
    assert [(name, args) for name, args in sent if name.startswith("credentials.issue")] == [
        ("credentials.issue_many", (sorted(e.pk for e in enrollments),))
    ]
    assert tasks.credentials_issue_many(*sent[0][1]) == 3
    for credential in Credential.objects.filter(enrollment__in=enrollments):
        assert credential.document["credentialSubject"]["result"][0]["value"] == "Pass"
        assert verify_document(json.dumps(credential.document)).ok


def test_a_refused_mail_in_a_batch_waits_and_the_others_are_still_sent(world, sent, batch, monkeypatch):
    enrollments = cohort(world, ["A", "B", "C"])
    batch(enrollments)
    [job] = [args for name, args in sent if name == "credentials.send_messages"]
    from credentials.services import messages

    real = messages._deliver
    refused = CredentialMessage.objects.get(credential__enrollment=enrollments[1])

    def deliver(message):
        if message.pk == refused.pk:
            with override_settings(EMAIL_DELIVERY_BACKEND=REFUSING):
                return real(message)
        return real(message)

    monkeypatch.setattr(messages, "_deliver", deliver)
    with pytest.raises(OSError, match="unexpectedly closed"):
        messages_tasks.credential_messages_send(*job)
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [enrollments[0].learner.email, enrollments[2].learner.email]
    )
    refused.refresh_from_db()
    assert (refused.sent_at, refused.claimed_at) == (None, None)
    monkeypatch.setattr(messages, "_deliver", real)
    assert messages_tasks.credential_messages_send(*job) == 1  # the retry: only the one left
    assert len(mail.outbox) == 3


def test_the_batch_signature_is_the_one_a_full_canonicalization_gives(world, sent, batch):
    """Each document's canonical form comes from its template's dataset; it must be exactly the
    N-Quads of the document itself, whatever the learner's name holds."""
    enrollments = cohort(world)
    issued = batch(enrollments)
    public = proof.multikey_decode(
        keys.did_document(unit=world.a_unit1)["verificationMethod"][0]["publicKeyMultibase"]
    )
    for credential in issued:
        assert proof.verify(credential.document, public_key=public)  # two full canonicalizations
        tampered = copy.deepcopy(credential.document)
        tampered["credentialSubject"]["identifier"][0]["salt"] = "0" * 32
        assert not proof.verify(tampered, public_key=public)


def test_a_template_that_disagrees_is_not_used(world, sent, batch, monkeypatch, caplog):
    enrollments = cohort(world, ["A", "B"])
    monkeypatch.setattr(proof.Template, "nquads", lambda self, values: "<urn:x> <urn:y> <urn:z> .\n")
    issued = batch(enrollments)
    assert "disagrees" in caplog.text
    assert all(verify_credential(c).ok for c in issued)


def test_the_sweep_sends_batches(world, sent):
    waiting = [completed_enrollment(world) for _ in range(3)]
    Enrollment.objects.update(updated_at=timezone.now() - timedelta(minutes=5))
    assert tasks.credentials_issue_due() == 3
    assert sent == [("credentials.issue_many", ([e.pk for e in waiting],))]
    assert tasks.credentials_issue_many(*sent[0][1]) == 3
    assert Credential.objects.filter(status=CredentialStatus.ACTIVE).count() == 3


# --- helpers -------------------------------------------------------------------------------------


def _started(world, count):
    from tests.enrollment.test_completion import started_offering

    return started_offering(world, [UserFactory.create(full_name=f"Learner {i}") for i in range(count)])


def _record_file(world, offering, enrollments, *, result, reason=""):
    access = staff_access(tenant=world.a, user=world.a_unit1_admin)
    report = completions_apply(
        tenant=world.a,
        access=access,
        actor=world.a_unit1_admin,
        offering_id=offering.pk,
        wanted=[Wanted(enrollment_id=e.pk, result=result, on=timezone.now().date()) for e in enrollments],
        mode=GOOD_ROWS,
        source=CompletionSource.CSV,
        reason=reason,
    )
    assert not report.refused, report.refused
    return report


def test_openbadgeslib_verifies_credentials_signed_in_a_batch(world, sent, batch):
    """The independent OB 3.0 implementation checks each batch signature with the unit's key."""
    ldp = pytest.importorskip("openbadgeslib.ob3.ldp")
    from cryptography.hazmat.primitives import serialization

    issued = batch(cohort(world))
    [method] = keys.did_document(unit=world.a_unit1)["verificationMethod"]
    public = proof.multikey_decode(method["publicKeyMultibase"])
    pem = public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    verifier = ldp.OB3LdpVerifier(pubkey_pem=pem)
    for credential in issued:
        verifier.verify(credential.document)  # raises on a bad proof
    tampered = copy.deepcopy(issued[0].document)
    tampered["credentialSubject"]["name"] = "Someone else"
    with pytest.raises(Exception):  # noqa: B017,PT011 - the library's own error class
        verifier.verify(tampered)

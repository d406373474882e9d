"""Stacked microcredentials: awarded once the last part is done (in any order, from any offering,
or by recognised prior learning), never before, once; revoked when a part stops counting."""

from __future__ import annotations

import time

import pytest
from django.db import IntegrityError, connection

from catalog.models import PublicationStatus
from credentials.models import (
    Credential,
    CredentialKind,
    CredentialMessage,
    CredentialStatus,
    Recognition,
    RecognitionStatus,
)
from credentials.services import changes, stacks
from credentials.services.issue import credential_issue
from credentials.services.verify import verify_credential
from credentials.tasks import stacks_due
from enrollment.models import Enrollment, EnrollmentStatus
from tests.catalog.factories import MicrocredentialFactory, OfferingFactory
from tests.credentials.conftest import completed_enrollment
from tests.credentials.test_concurrency import run_parallel
from tests.factories import UserFactory


def _complete(world, learner, microcredential) -> Credential:
    """The learner completes one offering of the microcredential (a new offering each time) and
    gets its credential."""
    offering = OfferingFactory.create(microcredential=microcredential, price_minor=0)
    enrollment = Enrollment.objects.create(
        tenant=offering.tenant, offering=offering, learner=learner, status=EnrollmentStatus.COMPLETED
    )
    return credential_issue(enrollment_id=enrollment.pk)


@pytest.fixture
def stack(world):
    """'Data Analyst' (unit 1) = 'SQL' + 'Python' + 'Statistics'."""
    parts = [
        MicrocredentialFactory.create(unit=world.a_unit1, title=title)
        for title in ("SQL", "Python", "Statistics")
    ]
    return MicrocredentialFactory.create(unit=world.a_unit1, title="Data Analyst", parts=parts)


def _stack_credentials(learner, stack):
    return Credential.objects.filter(learner=learner, microcredential=stack, kind=CredentialKind.STACK)


@pytest.mark.django_db
def test_the_stack_is_awarded_when_its_last_part_is_done_in_any_order_and_not_before(world, stack, sent):
    learner = UserFactory.create(full_name="Grace Hopper")
    sql, python, statistics = sorted(
        stack.parts.all(), key=lambda p: ["SQL", "Python", "Statistics"].index(p.title)
    )
    for part in (statistics, sql):
        _complete(world, learner, part)
        assert stacks.stacks_check(tenant_id=world.a.pk, learner_id=learner.pk).awarded == []
    assert not _stack_credentials(learner, stack).exists()

    _complete(world, learner, python)
    awarded = stacks.stacks_check(tenant_id=world.a.pk, learner_id=learner.pk).awarded
    assert [c.microcredential_id for c in awarded] == [stack.pk]
    credential = awarded[0]
    doc = credential.document
    assert doc["credentialSubject"]["achievement"]["name"] == "Data Analyst"
    assert "Python; SQL; Statistics" in doc["credentialSubject"]["achievement"]["criteria"]["narrative"]
    assert [e["name"] for e in doc["evidence"]] == ["Python", "SQL", "Statistics"]
    part_ids = {
        str(c.public_id) for c in Credential.objects.filter(learner=learner, kind=CredentialKind.ACHIEVEMENT)
    }
    assert {e["id"].rstrip("/").rsplit("/", 1)[1] for e in doc["evidence"]} == part_ids
    assert verify_credential(credential).ok
    # The learner is told, like for any credential.
    assert CredentialMessage.objects.filter(credential=credential, kind="issued").count() == 1

    # Asked again (a retry, the sweep): nothing more.
    assert stacks.stacks_check(tenant_id=world.a.pk, learner_id=learner.pk).awarded == []
    assert _stack_credentials(learner, stack).count() == 1


@pytest.mark.django_db
def test_issuing_a_part_asks_for_a_stacks_check_and_a_course_outside_stacks_does_not(
    world, stack, sent, django_capture_on_commit_callbacks
):
    learner = UserFactory.create()
    with django_capture_on_commit_callbacks(execute=True):
        _complete(world, learner, stack.parts.first())
    assert ("credentials.stacks_check", (world.a.pk, learner.pk)) in sent
    sent.clear()
    with django_capture_on_commit_callbacks(execute=True):
        credential_issue(enrollment_id=completed_enrollment(world, learner=learner).pk)
    assert [name for name, _args in sent if name == "credentials.stacks_check"] == []


@pytest.mark.django_db
def test_a_revoked_part_revokes_the_stack_and_redoing_it_awards_it_again(
    world, stack, sent, django_capture_on_commit_callbacks
):
    learner = UserFactory.create()
    part_credentials = [_complete(world, learner, part) for part in stack.parts.all()]
    (awarded,) = stacks.stacks_check(tenant_id=world.a.pk, learner_id=learner.pk).awarded

    enrollment_id = part_credentials[0].enrollment_id
    assert enrollment_id is not None
    with django_capture_on_commit_callbacks(execute=True):
        changes.credentials_revoke_for_enrollment(
            enrollment_id=enrollment_id, reason="Grade corrected", actor_id=None
        )
    assert ("credentials.stacks_check", (world.a.pk, learner.pk)) in sent
    result = stacks.stacks_check(tenant_id=world.a.pk, learner_id=learner.pk)
    assert [c.pk for c in result.revoked] == [awarded.pk]
    awarded.refresh_from_db()
    assert awarded.status == CredentialStatus.REVOKED
    assert part_credentials[0].microcredential.title in awarded.status_reason
    assert CredentialMessage.objects.filter(credential=awarded, kind="revoked").count() == 1
    assert not verify_credential(awarded).ok

    _complete(world, learner, part_credentials[0].microcredential)
    (again,) = stacks.stacks_check(tenant_id=world.a.pk, learner_id=learner.pk).awarded
    assert again.pk != awarded.pk
    assert _stack_credentials(learner, stack).filter(status=CredentialStatus.ACTIVE).count() == 1


@pytest.mark.django_db
def test_accepted_prior_learning_counts_as_a_part_and_the_evidence_says_so(world, stack, sent):
    learner = UserFactory.create()
    parts = list(stack.parts.order_by("title"))  # Python, SQL, Statistics
    for part in parts[1:]:
        _complete(world, learner, part)
    Recognition.objects.create(
        tenant=world.a,
        learner=learner,
        document={},
        kind="OpenBadgeCredential",
        verified=True,
        issuer_name="Other University",
        achievement_name="Intro to Python",
        part=parts[0],
        status=RecognitionStatus.PENDING,
    )
    assert stacks.stacks_check(tenant_id=world.a.pk, learner_id=learner.pk).awarded == []
    Recognition.objects.filter(learner=learner).update(status=RecognitionStatus.ACCEPTED)
    (awarded,) = stacks.stacks_check(tenant_id=world.a.pk, learner_id=learner.pk).awarded
    python = awarded.document["evidence"][0]
    assert python["name"] == "Python"
    assert "Intro to Python from Other University" in python["description"]
    assert verify_credential(awarded).ok


@pytest.mark.django_db
def test_a_stack_of_stacks_is_awarded_in_the_same_check(world, stack, sent):
    capstone = MicrocredentialFactory.create(unit=world.a_unit1, title="Capstone")
    career = MicrocredentialFactory.create(unit=world.a_unit2, title="Data Career", parts=[stack, capstone])
    assert career.parts.count() == 2
    learner = UserFactory.create()
    for part in [*stack.parts.all(), capstone]:
        _complete(world, learner, part)
    awarded = stacks.stacks_check(tenant_id=world.a.pk, learner_id=learner.pk).awarded
    assert [c.microcredential.title for c in awarded] == ["Data Analyst", "Data Career"]
    assert awarded[1].unit_id == world.a_unit2.pk  # the stack's own unit issues it


@pytest.mark.django_db
def test_a_draft_stack_is_not_awarded_until_published_then_the_sweep_finds_it(world, stack, sent):
    stack.status = PublicationStatus.DRAFT
    stack.save()
    learner = UserFactory.create()
    for part in stack.parts.all():
        _complete(world, learner, part)
    assert stacks.stacks_check(tenant_id=world.a.pk, learner_id=learner.pk).awarded == []
    assert stacks.learners_due() == []

    stack.status = PublicationStatus.PUBLISHED
    stack.save()
    assert stacks.learners_due() == [(world.a.pk, learner.pk)]
    sent.clear()
    assert stacks_due() == 1
    assert sent == [("credentials.stacks_check", (world.a.pk, learner.pk))]


@pytest.mark.django_db
def test_parts_done_on_another_tenant_do_not_count(world, sent):
    learner = UserFactory.create()
    part = MicrocredentialFactory.create(unit=world.a_unit1, title="SQL")
    stack_a = MicrocredentialFactory.create(unit=world.a_unit1, title="Analyst", parts=[part])
    other = completed_enrollment(world, unit=world.b_unit1, learner=learner)
    credential_issue(enrollment_id=other.pk)
    assert stacks.stacks_check(tenant_id=world.b.pk, learner_id=learner.pk).awarded == []
    assert stacks.stacks_check(tenant_id=world.a.pk, learner_id=learner.pk).awarded == []
    assert not _stack_credentials(learner, stack_a).exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_checks_award_the_stack_once(world, monkeypatch):
    monkeypatch.setattr("core.jobs.enqueue", lambda *args, **kwargs: True)
    parts = [MicrocredentialFactory.create(unit=world.a_unit1, title=t) for t in ("A", "B")]
    stack = MicrocredentialFactory.create(unit=world.a_unit1, title="AB", parts=parts)
    learner = UserFactory.create()
    for part in parts:
        _complete(world, learner, part)
    connection.close()
    results, errors = run_parallel(
        [lambda: stacks.stacks_check(tenant_id=world.a.pk, learner_id=learner.pk)] * 8
    )
    assert errors == []
    assert sum(len(r.awarded) for r in results) == 1
    assert _stack_credentials(learner, stack).count() == 1


@pytest.mark.django_db(transaction=True)
def test_negative_control_without_the_learner_lock_two_checks_race(world, monkeypatch):
    """Proves the test above can fail: unlocked, concurrent checks both find the stack due and
    both sign; only the partial unique index stops the second stack credential."""
    monkeypatch.setattr("core.jobs.enqueue", lambda *args, **kwargs: True)
    monkeypatch.setattr(stacks, "lock_learner_stacks", lambda **kwargs: time.sleep(0.3))
    parts = [MicrocredentialFactory.create(unit=world.a_unit1, title=t) for t in ("A", "B")]
    stack = MicrocredentialFactory.create(unit=world.a_unit1, title="AB", parts=parts)
    learner = UserFactory.create()
    for part in parts:
        _complete(world, learner, part)
    connection.close()
    _results, errors = run_parallel(
        [lambda: stacks.stacks_check(tenant_id=world.a.pk, learner_id=learner.pk)] * 4
    )
    assert errors
    assert all(isinstance(e, IntegrityError) for e in errors)
    assert _stack_credentials(learner, stack).count() == 1


@pytest.mark.django_db
def test_the_stack_share_page_lists_its_parts_with_links_to_their_credentials(world, stack, sent):
    learner = UserFactory.create(full_name="Grace Hopper")
    part_credentials = [_complete(world, learner, part) for part in stack.parts.all()]
    (awarded,) = stacks.stacks_check(tenant_id=world.a.pk, learner_id=learner.pk).awarded
    page = world.client_for(None, world.a).get(f"/credentials/{awarded.public_id}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Parts of this stack" in html
    for credential in part_credentials:
        assert f"/credentials/{credential.public_id}/" in html
    assert "Verified just now" in html

"""Learners with real records: completions recorded by the completion service (results,
credits), the credentials they earn issued and signed, stacks, and accepted prior learning."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from catalog.models import CreditType, Microcredential
from credentials.models import (
    Credential,
    CredentialKind,
    Recognition,
    RecognitionStatus,
)
from credentials.services import proof
from credentials.services.builder import achievement
from credentials.services.keys import issuer_profile, signing_key
from credentials.services.status import iso, status_index_take
from enrollment.models import CompletionSource, Enrollment, EnrollmentStatus
from enrollment.services.completion import completion_record
from identity.models import User
from tenants.models import Unit
from tests.catalog.factories import MicrocredentialFactory, OfferingFactory


def course(
    unit: Unit,
    title: str,
    credits: str = "3",
    credit_type: str = CreditType.CEU,
    parts: list[Microcredential] | None = None,
) -> Microcredential:
    return MicrocredentialFactory.create(
        unit=unit, title=title, credit_value=Decimal(credits), credit_type=credit_type, parts=parts or []
    )


def complete(microcredential: Microcredential, learner: User, result: str = "") -> Credential:
    """The learner completes a run of the microcredential (recorded by staff with `result`) and
    gets its credential, issued and signed as the job would."""
    from credentials.services.issue import credential_issue

    starts = timezone.now() - timedelta(days=20)
    offering = OfferingFactory.create(
        microcredential=microcredential,
        starts_at=starts,
        ends_at=starts + timedelta(days=10),
        enrollment_opens_at=starts - timedelta(days=30),
        enrollment_closes_at=starts - timedelta(days=1),
        capacity=5,
        price_minor=0,
    )
    enrollment = Enrollment.objects.create(
        tenant=offering.tenant, offering=offering, learner=learner, status=EnrollmentStatus.CONFIRMED
    )
    completion_record(
        tenant=offering.tenant,
        enrollment_id=enrollment.pk,
        outcome="completed",
        result=result,
        source=CompletionSource.LMS,
        actor=None,
    )
    return credential_issue(enrollment_id=enrollment.pk)


def award_stack(stack: Microcredential, learner: User) -> Credential:
    """A stack's credential, as the stacks service would store one (kind STACK, no enrollment)."""
    unit = stack.unit
    index = status_index_take(unit=unit)
    key = signing_key(unit=unit)
    now = timezone.now()
    document = {
        "@context": [proof.VC_V2, proof.OB_V3],
        "id": "urn:uuid:7f9c1c1e-4f0a-4a57-9d64-6a3c1e2b0001",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": issuer_profile(unit=unit),
        "validFrom": iso(now),
        "name": stack.title,
        "credentialSubject": {"type": ["AchievementSubject"], "achievement": achievement(stack)},
    }
    signed = proof.sign(
        document, private_key=key.private_key, verification_method=key.verification_method, created=iso(now)
    )
    return Credential.objects.create(
        tenant_id=unit.tenant_id,
        unit=unit,
        learner=learner,
        microcredential=stack,
        kind=CredentialKind.STACK,
        key=key.key,
        document=signed,
        status_index=index,
    )


def accept_prior_learning(part: Microcredential, learner: User, *, decided_by: User) -> Recognition:
    return Recognition.objects.create(
        tenant_id=part.tenant_id,
        learner=learner,
        document={"type": ["VerifiableCredential", "OpenBadgeCredential"], "name": "Intro to Python"},
        kind="OpenBadgeCredential",
        verified=True,
        issuer_name="Gamma Polytechnic",
        issuer_id="did:web:gamma.example",
        achievement_name="Intro to Python",
        part=part,
        status=RecognitionStatus.ACCEPTED,
        decided_by=decided_by,
        decided_at=timezone.now(),
    )

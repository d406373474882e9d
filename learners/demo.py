"""Demo learners for `make run`: password-less accounts that sign in with a code, one of them
known to both demo tenants. Idempotent: run on every start, it adds only what is missing."""

from __future__ import annotations

from allauth.account.models import EmailAddress
from django.db import transaction

from identity.models import User
from learners.demo_accounts import DEMO_LEARNERS
from learners.models import ContactConsent, ContactTopic, LearnerOrigin
from learners.services.records import learner_record_ensure
from tenants.models import Tenant, Unit


@transaction.atomic
def seed_demo_learners() -> int:
    """Create the demo learners that are missing (once their tenants exist). Returns how many."""
    created = 0
    for spec in DEMO_LEARNERS:
        places = [
            (tenant, Unit.objects.filter(tenant=tenant, slug=unit_slug).first())
            for tenant_slug, unit_slug in spec.places
            if (tenant := Tenant.objects.filter(slug=tenant_slug).first()) is not None
        ]
        if not places or User.objects.filter(email__iexact=spec.email).exists():
            continue
        user = User.objects.create_user(email=spec.email, full_name=spec.full_name)
        EmailAddress.objects.create(user=user, email=spec.email, verified=True, primary=True)
        for tenant, unit in places:
            learner_record_ensure(tenant=tenant, user=user, origin=LearnerOrigin.SIGN_UP, unit=unit)
            if unit is not None:
                ContactConsent.objects.create(
                    tenant=tenant, user=user, unit=unit, topic=ContactTopic.COURSES, granted=True
                )
        created += 1
    return created

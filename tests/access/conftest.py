from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.utils import timezone

from access.models import ClaimGroup
from access.services.relying_parties import Registered, relying_party_create
from enrollment.models import Enrollment, EnrollmentStatus
from identity.models import User
from tests.catalog.factories import OfferingFactory
from tests.factories import TenantFactory, UnitFactory, UserFactory

REDIRECT = "https://lms.example.test/auth/oidc/callback"


@dataclass
class Provider:
    url: str  # tenant A's site address (the live server on "localhost")
    other_url: str  # tenant B's (the same server on "127.0.0.1")
    tenant: object
    other: object
    unit: object
    learner: User
    enrollment: Enrollment
    lms: Registered  # tenant A's first-party LMS, every claim group
    library: Registered  # tenant A's library proxy: entitlements only, consent screen
    other_lms: Registered  # tenant B's


@pytest.fixture
def provider(live_server, settings, monkeypatch) -> Provider:
    # The live server answers each request in a thread of its own: close its connection after
    # the request, or the test database cannot be dropped at the end.
    monkeypatch.setitem(settings.DATABASES["default"], "CONN_MAX_AGE", 0)
    port = live_server.url.rsplit(":", 1)[1]
    settings.PUBLIC_PORT = port
    a = TenantFactory.create(slug="alpha", name="Alpha University", hosts=["localhost"])
    b = TenantFactory.create(slug="beta", name="Beta College", hosts=["127.0.0.1"])
    unit = UnitFactory.create(tenant=a, slug="nursing", name="Alpha Nursing")
    learner = UserFactory.create(email="ada@learners.test", full_name="Ada King Lovelace")
    offering = OfferingFactory.create(
        microcredential__unit=unit,
        microcredential__title="Wound care",
        lms_course_ref="NURS-101",
        starts_at=timezone.now() + timedelta(days=3),
        seats_taken=1,
    )
    enrollment = Enrollment.objects.create(
        tenant=a, offering=offering, learner=learner, status=EnrollmentStatus.CONFIRMED
    )
    lms = relying_party_create(
        tenant=a,
        name="Nursing Moodle",
        unit=unit,
        redirect_uris=REDIRECT,
        claims=ClaimGroup.values,
        first_party=True,
    )
    library = relying_party_create(
        tenant=a,
        name="Library proxy",
        unit=None,
        redirect_uris="https://proxy.example.test/oidc",
        claims=[ClaimGroup.ENTITLEMENTS],
        first_party=False,
    )
    other_lms = relying_party_create(
        tenant=b,
        name="Beta LMS",
        unit=None,
        redirect_uris=REDIRECT,
        claims=ClaimGroup.values,
        first_party=True,
    )
    return Provider(
        url=f"http://localhost:{port}",
        other_url=f"http://127.0.0.1:{port}",
        tenant=a,
        other=b,
        unit=unit,
        learner=learner,
        enrollment=enrollment,
        lms=lms,
        library=library,
        other_lms=other_lms,
    )

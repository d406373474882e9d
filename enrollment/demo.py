"""The demo's enrollments: a real learner behind every seat the demo catalog shows as taken.

catalog.demo says how many seats each demo offering has taken (`OfferingSpec.seats_taken`); here
each of them becomes a learner account and an enrollment made by the enrollment engine itself
(free: confirmed at once; paid: held, then confirmed as a payment would), so the counter, the
roster, the console's lists and the catalog all count the same rows. An offering full with a
wait-list also gets a few learners waiting.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from catalog.demo import HARBOR_OFFERINGS, NORTHFIELD_OFFERINGS, OfferingSpec, course_ref
from catalog.models import Offering
from enrollment.models import SEAT_STATES, Enrollment, EnrollmentMessage
from enrollment.services import enrollment_confirm_paid, enrollment_create
from identity.models import User
from learners.models import LearnerOrigin
from learners.services.records import learner_record_ensure
from learners.services.signin import learner_account_ensure
from tenants.models import Tenant

WAITING_WHEN_FULL = 3
FIRST_NAMES = (
    "Amara", "Bruno", "Chen", "Dalia", "Emeka", "Freya", "Gustavo", "Hana", "Ivan", "Jun",
    "Kofi", "Leila", "Mateo", "Nia", "Oskar", "Priya", "Quinn", "Rosa", "Sami", "Tomasz",
)  # fmt: skip
LAST_NAMES = (
    "Okafor", "Lindqvist", "Moreau", "Tanaka", "Haddad", "Novak", "Silva", "Kowalski", "Osei",
    "Fischer", "Nguyen", "Rahman", "Costa", "Murphy", "Ivanova", "Park", "Mensah",
)  # fmt: skip


def _learner(tenant: Tenant, n: int) -> User:
    first, last = FIRST_NAMES[n % len(FIRST_NAMES)], LAST_NAMES[n % len(LAST_NAMES)]
    email = f"{first}.{last}.{n}@{tenant.slug}.learners.localhost".lower()
    return learner_account_ensure(email=email, full_name=f"{first} {last}").user


def _enroll(tenant: Tenant, offering: Offering, learner: User, now: datetime) -> Enrollment:
    learner_record_ensure(
        tenant=tenant, user=learner, origin=LearnerOrigin.SIGN_UP, unit=offering.microcredential.unit
    )
    # As staff: some demo offerings are closed or not open yet, and their seats were taken earlier.
    made = enrollment_create(
        tenant=tenant, learner=learner, offering_id=offering.pk, by_staff=True, reason="Demo data.", now=now
    ).enrollment
    if made.status in SEAT_STATES and not offering.is_free:
        paid = enrollment_confirm_paid(tenant=tenant, enrollment_id=made.pk, details={"demo": True}, now=now)
        made = paid.enrollment or made
    return made


def _seed_offering(tenant: Tenant, spec: OfferingSpec, next_learner: int, now: datetime) -> int:
    offering = (
        Offering.objects.select_related("microcredential__unit")
        .filter(tenant=tenant, lms_course_ref=course_ref(tenant, spec))
        .first()
    )
    if offering is None or Enrollment.objects.filter(offering=offering).exists():
        return next_learner
    # A catalog seeded before the demo had enrollments set its counter with no rows behind it.
    Offering.objects.filter(pk=offering.pk).update(seats_taken=0)
    offering.seats_taken = 0
    wanted = spec.seats_taken + (
        WAITING_WHEN_FULL if spec.seats_taken >= spec.capacity and spec.waitlist else 0
    )
    made = []
    for _ in range(wanted):
        made.append(_enroll(tenant, offering, _learner(tenant, next_learner), now))
        next_learner += 1
    # Demo learners' addresses go nowhere: their confirmations are not sent on the first start.
    EnrollmentMessage.objects.filter(enrollment__in=made, sent_at__isnull=True).update(
        claimed_at=now, sent_at=now
    )
    return next_learner


@transaction.atomic
def seed_enrollments(*, now: datetime | None = None) -> int:
    """Enroll demo learners in the demo offerings that have none yet. Returns how many offerings."""
    now = now or timezone.now()
    seeded = 0
    for slug, specs in (("northfield", NORTHFIELD_OFFERINGS), ("harbor", HARBOR_OFFERINGS)):
        tenant = Tenant.objects.filter(slug=slug).first()
        if tenant is None:
            continue
        next_learner = 1
        for spec in specs:
            before = next_learner
            next_learner = _seed_offering(tenant, spec, next_learner, now)
            seeded += next_learner != before
    return seeded

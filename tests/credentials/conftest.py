from __future__ import annotations

import pytest

from enrollment.models import Enrollment, EnrollmentStatus
from tests.catalog.factories import OfferingFactory
from tests.factories import UserFactory


def completed_enrollment(world, *, unit=None, learner=None, **microcredential) -> Enrollment:
    """An enrollment put in status completed directly (the completion service is not used)."""
    fields = {
        "title": "Data Analysis with SQL",
        "outcomes": "Write SQL queries\nExplain joins",
        "skills": "SQL, pandas",
        "credit_value": "1.50",
        **microcredential,
    }
    offering = OfferingFactory.create(
        microcredential__unit=unit or world.a_unit1,
        capacity=5,
        price_minor=0,
        **{f"microcredential__{k}": v for k, v in fields.items()},
    )
    return Enrollment.objects.create(
        tenant=offering.tenant,
        offering=offering,
        learner=learner or UserFactory.create(full_name="Ada Lovelace"),
        status=EnrollmentStatus.COMPLETED,
    )


@pytest.fixture
def sent(monkeypatch):
    """Jobs asked for after commit (task name, args), instead of the broker."""
    calls: list[tuple[str, tuple[object, ...]]] = []

    def enqueue(name: str, *args: object, **kwargs: object) -> bool:
        calls.append((name, args))
        return True

    monkeypatch.setattr("core.jobs.enqueue", enqueue)
    return calls

"""Entitlements: active only while the seat is and within the window; in the claims, on My
learning, gone when the seat is cancelled."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from access.models import ClaimGroup, Entitlement
from access.services.claims import claims_for
from access.services.entitlements import entitlements_active
from enrollment.models import Enrollment, EnrollmentStatus
from tests.catalog.factories import OfferingFactory

pytestmark = pytest.mark.django_db

START = datetime(2027, 1, 11, 9, 0, tzinfo=UTC)
END = datetime(2027, 2, 19, 17, 0, tzinfo=UTC)


@pytest.fixture
def seat(world):
    offering = OfferingFactory.create(
        microcredential__unit=world.a_unit1,
        microcredential__title="Data literacy",
        starts_at=START,
        ends_at=END,
        time_zone="UTC",
        seats_taken=1,
    )
    Entitlement.objects.create(
        tenant=world.a,
        microcredential=offering.microcredential,
        name="Library e-resources",
        identifier="urn:mace:dir:entitlement:common-lib-terms",
        days_before_start=7,
        days_after_end=7,
    )
    return Enrollment.objects.create(
        tenant=world.a, offering=offering, learner=world.learner, status=EnrollmentStatus.CONFIRMED
    )


def _identifiers(world, now):
    return [e.identifier for e in entitlements_active(tenant=world.a, learner=world.learner, now=now)]


def test_active_within_the_window_only(world, seat):
    assert _identifiers(world, START - timedelta(days=8)) == []
    assert _identifiers(world, START - timedelta(days=6)) == ["urn:mace:dir:entitlement:common-lib-terms"]
    assert _identifiers(world, END + timedelta(days=6)) == ["urn:mace:dir:entitlement:common-lib-terms"]
    assert _identifiers(world, END + timedelta(days=8)) == []


def test_a_completed_seat_keeps_it_a_cancelled_one_loses_it(world, seat):
    now = START + timedelta(days=1)
    Enrollment.objects.filter(pk=seat.pk).update(status=EnrollmentStatus.COMPLETED)
    assert _identifiers(world, now) == ["urn:mace:dir:entitlement:common-lib-terms"]

    Enrollment.objects.filter(pk=seat.pk).update(status=EnrollmentStatus.CANCELLED)

    assert _identifiers(world, now) == []


def test_the_claims_carry_it_until_the_seat_ends(world, seat):
    now = START + timedelta(days=1)

    claims = claims_for(tenant=world.a, learner=world.learner, groups=[ClaimGroup.ENTITLEMENTS], now=now)

    assert claims["entitlements"] == [
        {
            "identifier": "urn:mace:dir:entitlement:common-lib-terms",
            "name": "Library e-resources",
            "until": "2027-02-26T17:00:00+00:00",
        }
    ]
    assert claims["eduperson_entitlement"] == ["urn:mace:dir:entitlement:common-lib-terms"]
    assert "email" not in claims
    assert "enrollments" not in claims
    Enrollment.objects.filter(pk=seat.pk).update(status=EnrollmentStatus.CANCELLED)
    assert (
        claims_for(tenant=world.a, learner=world.learner, groups=[ClaimGroup.ENTITLEMENTS], now=now)[
            "entitlements"
        ]
        == []
    )


def test_another_tenant_sees_nothing(world, seat):
    claims = claims_for(tenant=world.b, learner=world.learner, groups=ClaimGroup.values, now=START)

    assert claims["enrollments"] == []
    assert claims["entitlements"] == []


def test_my_learning_says_until_when(world, seat, monkeypatch):
    from access import my_learning

    monkeypatch.setattr(my_learning, "now", lambda: START + timedelta(days=1))

    page = world.client_for(world.learner, world.a).get("/my/learning/")

    assert "Library e-resources until 26 Feb 2027" in page.content.decode()

"""Catalog workflows: who may act, which transitions are allowed, what is recorded, what is refused."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, transaction

from catalog import hooks, services
from catalog.errors import (
    ArchivedNotEditable,
    CapacityBelowSeatsTaken,
    CatalogInvalid,
    PublishRefused,
    TransitionRefused,
)
from catalog.models import CatalogEvent, Offering, PublicationStatus, RefundPolicy
from catalog.refunds import Tier
from tenants.errors import NotVisible
from tenants.selectors import staff_access
from tests.catalog.factories import MicrocredentialFactory, OfferingFactory, RefundPolicyFactory

CHICAGO = ZoneInfo("America/Chicago")


@pytest.fixture
def admin(world):
    return staff_access(tenant=world.a, user=world.a_admin)


@pytest.fixture
def unit1_admin(world):
    return staff_access(tenant=world.a, user=world.a_unit1_admin)


def publish(world, access, offering):
    return services.offering_publish(tenant=world.a, access=access, actor=None, offering_id=offering.pk)


def test_publishing_writes_who_when_from_and_to(world, unit1_admin):
    RefundPolicyFactory.create(unit=world.a_unit1)
    offering = OfferingFactory.create(microcredential__unit=world.a_unit1, status=PublicationStatus.DRAFT)

    services.offering_publish(
        tenant=world.a, access=unit1_admin, actor=world.a_unit1_admin, offering_id=offering.pk
    )

    offering.refresh_from_db()
    assert offering.status == PublicationStatus.PUBLISHED
    assert offering.published_at is not None
    event = CatalogEvent.objects.get(offering=offering, action="publish")
    assert (event.actor, event.from_state, event.to_state) == (world.a_unit1_admin, "draft", "published")


def test_publishing_twice_is_refused_and_records_nothing(world, admin):
    offering = OfferingFactory.create(microcredential__unit=world.a_unit1)

    with pytest.raises(TransitionRefused, match=r"Only a draft can be published; this one is published\."):
        publish(world, admin, offering)

    assert not CatalogEvent.objects.filter(offering=offering).exists()


def test_an_offering_of_a_draft_microcredential_cannot_be_published(world, admin):
    RefundPolicyFactory.create(unit=world.a_unit1)
    offering = OfferingFactory.create(
        microcredential__unit=world.a_unit1,
        microcredential__title="SQL",
        microcredential__status="draft",
        status="draft",
    )

    with pytest.raises(PublishRefused, match=r"Publish the microcredential “SQL” first\."):
        publish(world, admin, offering)

    offering.refresh_from_db()
    assert offering.status == "draft"


def test_a_paid_offering_needs_a_refund_policy_a_free_one_does_not(world, admin):
    paid = OfferingFactory.create(microcredential__unit=world.a_unit1, status="draft", price_minor=5000)
    free = OfferingFactory.create(microcredential__unit=world.a_unit1, status="draft", price_minor=0)

    with pytest.raises(PublishRefused, match="A paid offering needs a refund policy"):
        publish(world, admin, paid)
    publish(world, admin, free)

    paid.refresh_from_db()
    free.refresh_from_db()
    assert (paid.status, free.status) == ("draft", "published")


def test_a_fee_in_another_currency_is_refused_beside_the_policy(world, admin):
    policy = RefundPolicyFactory.create(unit=world.a_unit1, cancellation_fee_minor=2500, currency="USD")
    offering = OfferingFactory.create(microcredential__unit=world.a_unit1, currency="USD")

    with pytest.raises(CatalogInvalid) as refused:
        services.offering_update(
            tenant=world.a,
            access=admin,
            actor=None,
            offering_id=offering.pk,
            fields={"currency": "JPY", "price_minor": 12000, "refund_policy": policy},
        )

    assert refused.value.fields == {
        "refund_policy": [
            f"The policy “{policy.name}” keeps a fee of $25.00, but this offering is priced in JPY."
        ]
    }
    offering.refresh_from_db()
    assert (offering.currency, offering.price_minor) == ("USD", 125000)


def test_archive_then_restore_and_no_edits_while_archived(world, admin):
    offering = OfferingFactory.create(microcredential__unit=world.a_unit1)
    services.offering_archive(tenant=world.a, access=admin, actor=None, offering_id=offering.pk)

    with pytest.raises(ArchivedNotEditable):
        services.offering_update(
            tenant=world.a, access=admin, actor=None, offering_id=offering.pk, fields={"capacity": 99}
        )
    with pytest.raises(TransitionRefused):
        publish(world, admin, offering)
    services.offering_restore(tenant=world.a, access=admin, actor=None, offering_id=offering.pk)

    offering.refresh_from_db()
    assert (offering.status, offering.capacity) == ("draft", 20)


def test_capacity_below_seats_taken_is_refused_with_the_reason(world, admin):
    offering = OfferingFactory.create(microcredential__unit=world.a_unit1, capacity=20, seats_taken=12)
    called = []
    hooks.capacity_raised.register("test", lambda pk, added: called.append((pk, added)))

    try:
        with pytest.raises(CapacityBelowSeatsTaken) as refused:
            services.offering_update(
                tenant=world.a, access=admin, actor=None, offering_id=offering.pk, fields={"capacity": 11}
            )
    finally:
        hooks.capacity_raised.unregister("test")

    assert refused.value.message == "12 seats are already taken; capacity cannot go below 12."
    assert refused.value.fields == {"capacity": [refused.value.message]}
    offering.refresh_from_db()
    assert offering.capacity == 20
    assert not CatalogEvent.objects.filter(offering=offering).exists()
    assert called == []


def test_capacity_down_to_the_seats_taken_is_fine(world, admin):
    offering = OfferingFactory.create(microcredential__unit=world.a_unit1, capacity=20, seats_taken=12)

    services.offering_update(
        tenant=world.a, access=admin, actor=None, offering_id=offering.pk, fields={"capacity": 12}
    )

    offering.refresh_from_db()
    assert offering.capacity == 12
    assert offering.seats_left == 0


def test_raising_capacity_tells_the_registered_receiver_after_commit(
    world, admin, django_capture_on_commit_callbacks
):
    offering = OfferingFactory.create(microcredential__unit=world.a_unit1, capacity=20, seats_taken=20)
    called = []
    hooks.capacity_raised.register("test", lambda pk, added: called.append((pk, added)))

    try:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            services.offering_update(
                tenant=world.a, access=admin, actor=None, offering_id=offering.pk, fields={"capacity": 23}
            )
        assert called == []  # nothing leaves before the commit
        for callback in callbacks:
            callback()
    finally:
        hooks.capacity_raised.unregister("test")

    assert called == [(offering.pk, 3)]
    event = CatalogEvent.objects.get(offering=offering, action="updated")
    assert event.details == {"fields": ["capacity"], "capacity": [20, 23]}


def test_the_next_cohort_meets_on_the_same_weekday_and_hour_across_a_clock_change(world, admin):
    offering = OfferingFactory.create(
        microcredential__unit=world.a_unit1,
        starts_at=datetime(2026, 2, 3, 18, 0, tzinfo=CHICAGO),  # a Tuesday, in winter time
        ends_at=datetime(2026, 3, 10, 21, 0, tzinfo=CHICAGO),  # 5 weeks later
        time_zone="America/Chicago",
        enrollment_opens_at=datetime(2026, 1, 5, 9, 0, tzinfo=CHICAGO),
        enrollment_closes_at=datetime(2026, 2, 2, 9, 0, tzinfo=CHICAGO),
        seats_taken=14,
        cohort_label="Winter",
    )

    copy = services.offering_copy_as_next_cohort(
        tenant=world.a, access=admin, actor=None, offering_id=offering.pk
    )

    # 5 weeks and 3 hours → the next whole week: 6 weeks later, still 18:00 local after DST began.
    assert copy.starts_at == datetime(2026, 3, 17, 18, 0, tzinfo=CHICAGO)
    assert copy.ends_at == datetime(2026, 4, 21, 21, 0, tzinfo=CHICAGO)
    assert copy.enrollment_opens_at == datetime(2026, 2, 16, 9, 0, tzinfo=CHICAGO)
    assert copy.enrollment_closes_at == datetime(2026, 3, 16, 9, 0, tzinfo=CHICAGO)
    assert (copy.status, copy.seats_taken, copy.capacity, copy.price_minor) == ("draft", 0, 20, 125000)
    assert copy.cohort_label == ""
    offering.refresh_from_db()
    assert offering.seats_taken == 14


def test_a_unit_admin_cannot_touch_another_unit_s_catalog(world, unit1_admin):
    offering = OfferingFactory.create(microcredential__unit=world.a_unit2, status="draft")

    for change in (
        services.offering_publish,
        services.offering_archive,
        services.offering_copy_as_next_cohort,
    ):
        with pytest.raises(NotVisible):
            change(tenant=world.a, access=unit1_admin, actor=None, offering_id=offering.pk)
    with pytest.raises(NotVisible):
        services.offering_update(
            tenant=world.a, access=unit1_admin, actor=None, offering_id=offering.pk, fields={"capacity": 1}
        )
    with pytest.raises(NotVisible):
        services.microcredential_create(
            tenant=world.a, access=unit1_admin, actor=None, unit=world.a_unit2, fields={"title": "x"}
        )

    offering.refresh_from_db()
    assert (offering.status, offering.capacity) == ("draft", 20)
    assert Offering.objects.filter(microcredential__unit=world.a_unit2).count() == 1


def test_finance_runs_no_unit_s_catalog(world):
    access = staff_access(tenant=world.a, user=world.a_finance_all)
    offering = OfferingFactory.create(microcredential__unit=world.a_unit1, status="draft")

    with pytest.raises(NotVisible):
        services.offering_publish(tenant=world.a, access=access, actor=None, offering_id=offering.pk)


def test_another_tenant_s_ids_are_not_found(world):
    beta = staff_access(tenant=world.b, user=world.b_admin)
    offering = OfferingFactory.create(microcredential__unit=world.a_unit1, status="draft")

    with pytest.raises(NotVisible):
        services.offering_publish(tenant=world.b, access=beta, actor=None, offering_id=offering.pk)
    # Even with its own tenant's access, another tenant's row is out of reach.
    with pytest.raises(NotVisible):
        services.offering_publish(tenant=world.a, access=beta, actor=None, offering_id=offering.pk)


def test_stacks_never_loop(world, admin):
    python = MicrocredentialFactory.create(unit=world.a_unit1)
    certificate = MicrocredentialFactory.create(unit=world.a_unit1, parts=[python])

    with pytest.raises(CatalogInvalid) as loop:
        services.microcredential_update(
            tenant=world.a,
            access=admin,
            actor=None,
            microcredential_id=python.pk,
            fields={},
            parts=[certificate],
        )
    with pytest.raises(CatalogInvalid) as itself:
        services.microcredential_update(
            tenant=world.a, access=admin, actor=None, microcredential_id=python.pk, fields={}, parts=[python]
        )

    assert loop.value.fields["parts"] == [
        "These parts would make a loop: one of them already contains this one."
    ]
    assert itself.value.fields["parts"] == ["A microcredential cannot be a part of itself."]
    assert list(python.parts.all()) == []


def test_a_retitled_microcredential_is_found_by_its_new_title(world, admin, client):
    offering = OfferingFactory.create(microcredential__unit=world.a_unit1, microcredential__title="Old name")

    services.microcredential_update(
        tenant=world.a,
        access=admin,
        actor=None,
        microcredential_id=offering.microcredential_id,
        fields={"title": "Kubernetes Operations"},
    )

    body = client.get("/?q=kubernetes", HTTP_HOST="alpha.test").content.decode()
    assert "Kubernetes Operations" in body


def test_a_new_default_policy_replaces_the_old_one(world, admin):
    old = RefundPolicyFactory.create(unit=world.a_unit1, name="Old")

    new = services.refund_policy_create(
        tenant=world.a,
        access=admin,
        actor=None,
        unit=world.a_unit1,
        fields={"name": "New", "currency": "USD", "is_unit_default": True, "frees_seat": True},
        tiers=[Tier(7, 100)],
    )

    old.refresh_from_db()
    assert (old.is_unit_default, new.is_unit_default) == (False, True)
    assert RefundPolicy.objects.filter(unit=world.a_unit1, is_unit_default=True).count() == 1


def test_the_database_refuses_more_seats_than_capacity(world):
    offering = OfferingFactory.create(microcredential__unit=world.a_unit1, capacity=2, seats_taken=2)

    assert services.offering_seats_take(tenant=world.a, offering_id=offering.pk) is False
    with pytest.raises(IntegrityError), transaction.atomic():
        Offering.objects.filter(pk=offering.pk).update(seats_taken=3)
    services.offering_seats_release(tenant=world.a, offering_id=offering.pk)

    offering.refresh_from_db()
    assert offering.seats_taken == 1


def test_seats_are_taken_only_in_the_tenant_that_owns_the_offering(world):
    offering = OfferingFactory.create(microcredential__unit=world.a_unit1, capacity=5, seats_taken=0)

    assert services.offering_seats_take(tenant=world.b, offering_id=offering.pk) is False

    offering.refresh_from_db()
    assert offering.seats_taken == 0


def test_validation_names_each_field(world, admin):
    offering = OfferingFactory.create(microcredential__unit=world.a_unit1)
    starts = offering.starts_at

    with pytest.raises(CatalogInvalid) as refused:
        services.offering_update(
            tenant=world.a,
            access=admin,
            actor=None,
            offering_id=offering.pk,
            fields={
                "ends_at": starts - timedelta(hours=1),
                "delivery_mode": "in_person",
                "location": "",
                "seat_hold_minutes": 10,
                "time_zone": "Mars/Olympus",
            },
        )

    fields = refused.value.fields
    assert fields["ends_at"] == ["The end must be after the start."]
    assert fields["location"] == ["Say where learners meet: campus, building, room."]
    assert fields["seat_hold_minutes"] == [
        "A paid seat is held at least 30 minutes: card checkout needs that long."
    ]
    assert fields["time_zone"] == ["Mars/Olympus is not a known time zone."]
    offering.refresh_from_db()
    assert offering.delivery_mode == "online"

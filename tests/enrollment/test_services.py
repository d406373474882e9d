from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from enrollment import selectors, services
from enrollment.errors import AlreadyEnrolled, EnrollmentClosed, OfferExpired, OfferingFull
from enrollment.models import Enrollment, EnrollmentEvent, EnrollmentStatus
from tests.enrollment.conftest import make_offering, seats
from tests.factories import UserFactory

S = EnrollmentStatus


def test_free_offering_confirms_at_once(world):
    offering = make_offering(world)
    result = services.enrollment_create(tenant=world.a, learner=world.learner, offering_id=offering.pk)
    assert result.enrollment.status == S.CONFIRMED
    assert result.waitlist_position is None
    assert seats(offering) == 1
    event = EnrollmentEvent.objects.get(enrollment=result.enrollment)
    assert (event.action, event.from_status, event.to_status, event.actor) == (
        "enrolled",
        "",
        "confirmed",
        world.learner,
    )


def test_paid_offering_holds_the_seat_for_the_hold_time(world):
    offering = make_offering(world, price_minor=125000, seat_hold_minutes=45)
    now = timezone.now()
    result = services.enrollment_create(
        tenant=world.a, learner=world.learner, offering_id=offering.pk, now=now
    )
    assert result.enrollment.status == S.HELD
    assert result.enrollment.hold_expires_at == now + timedelta(minutes=45)
    assert seats(offering) == 1


def test_full_offering_puts_learners_on_the_waitlist_in_order(world):
    offering = make_offering(world, capacity=1)
    people = [UserFactory.create() for _ in range(3)]
    results = [services.enrollment_create(tenant=world.a, learner=p, offering_id=offering.pk) for p in people]
    assert [r.enrollment.status for r in results] == [S.CONFIRMED, S.WAITLISTED, S.WAITLISTED]
    assert [r.waitlist_position for r in results] == [None, 1, 2]
    assert seats(offering) == 1


def test_full_offering_without_waitlist_says_full_and_changes_nothing(world):
    offering = make_offering(world, capacity=1, waitlist_enabled=False)
    services.enrollment_create(tenant=world.a, learner=UserFactory.create(), offering_id=offering.pk)
    with pytest.raises(OfferingFull) as refused:
        services.enrollment_create(tenant=world.a, learner=world.learner, offering_id=offering.pk)
    assert refused.value.message == "This offering is full, and it keeps no wait-list."
    assert not Enrollment.objects.filter(learner=world.learner).exists()


def test_enrolling_twice_is_refused_and_changes_nothing(world):
    offering = make_offering(world)
    services.enrollment_create(tenant=world.a, learner=world.learner, offering_id=offering.pk)
    with pytest.raises(AlreadyEnrolled) as refused:
        services.enrollment_create(tenant=world.a, learner=world.learner, offering_id=offering.pk)
    assert refused.value.message == "You are already enrolled in this offering."
    assert seats(offering) == 1
    assert Enrollment.objects.filter(learner=world.learner).count() == 1


def test_window_not_open_and_closed_are_refused(world):
    later = make_offering(world, enrollment_opens_at=timezone.now() + timedelta(days=2))
    with pytest.raises(EnrollmentClosed, match="Enrollment opens on"):
        services.enrollment_create(tenant=world.a, learner=world.learner, offering_id=later.pk)
    closed = make_offering(
        world,
        enrollment_opens_at=timezone.now() - timedelta(days=5),
        enrollment_closes_at=timezone.now() - timedelta(days=1),
    )
    with pytest.raises(EnrollmentClosed, match="Enrollment closed on"):
        services.enrollment_create(tenant=world.a, learner=world.learner, offering_id=closed.pk)
    assert not Enrollment.objects.exists()


def test_the_database_refuses_a_second_active_enrollment(world):
    offering = make_offering(world)
    services.enrollment_create(tenant=world.a, learner=world.learner, offering_id=offering.pk)
    with pytest.raises(IntegrityError), transaction.atomic():
        Enrollment.objects.create(
            tenant=world.a, offering=offering, learner=world.learner, status=S.WAITLISTED
        )


def test_events_cannot_be_changed_or_deleted(world):
    offering = make_offering(world)
    result = services.enrollment_create(tenant=world.a, learner=world.learner, offering_id=offering.pk)
    event = EnrollmentEvent.objects.get(enrollment=result.enrollment)
    with pytest.raises(IntegrityError), transaction.atomic():
        EnrollmentEvent.objects.filter(pk=event.pk).update(reason="rewritten")
    with pytest.raises(IntegrityError), transaction.atomic():
        EnrollmentEvent.objects.filter(pk=event.pk).delete()


def _full_with_waitlist(world, *, capacity=1, waiting=2, **fields):
    offering = make_offering(world, capacity=capacity, **fields)
    holders = [
        services.enrollment_create(
            tenant=world.a, learner=UserFactory.create(), offering_id=offering.pk
        ).enrollment
        for _ in range(capacity)
    ]
    waiters = [
        services.enrollment_create(
            tenant=world.a, learner=UserFactory.create(), offering_id=offering.pk
        ).enrollment
        for _ in range(waiting)
    ]
    return offering, holders, waiters


def test_a_cancellation_offers_the_seat_to_the_head_of_the_waitlist(world):
    offering, [holder], [first, second] = _full_with_waitlist(world)
    now = timezone.now()
    services.enrollment_cancel(tenant=world.a, learner=holder.learner, enrollment_id=holder.pk, now=now)

    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == S.OFFERED
    assert first.offer_expires_at == now + timedelta(hours=48)
    assert second.status == S.WAITLISTED
    assert selectors.waitlist_position(second) == 1
    assert seats(offering) == 1
    offered = first.events.get(action="offered")
    assert (offered.from_status, offered.to_status, offered.actor) == ("waitlisted", "offered", None)


def test_accepting_an_offer_confirms_a_free_seat(world):
    offering, [holder], [first, _second] = _full_with_waitlist(world)
    services.enrollment_cancel(tenant=world.a, learner=holder.learner, enrollment_id=holder.pk)
    accepted = services.offer_accept(tenant=world.a, enrollment_id=first.pk, learner=first.learner)
    assert accepted.status == S.CONFIRMED
    assert seats(offering) == 1


def test_accepting_an_offer_of_a_paid_seat_holds_it_for_payment(world):
    _offering, [holder], [first] = _full_with_waitlist(
        world, waiting=1, price_minor=5000, seat_hold_minutes=30
    )
    services.enrollment_cancel(tenant=world.a, learner=holder.learner, enrollment_id=holder.pk)
    now = timezone.now()
    accepted = services.offer_accept(tenant=world.a, enrollment_id=first.pk, learner=first.learner, now=now)
    assert (accepted.status, accepted.hold_expires_at) == (S.HELD, now + timedelta(minutes=30))


def test_declining_cascades_to_the_next_and_leaving_keeps_order(world):
    offering, [holder], [first, second, third] = _full_with_waitlist(world, waiting=3)
    services.waitlist_leave(tenant=world.a, learner=second.learner, enrollment_id=second.pk)
    services.enrollment_cancel(tenant=world.a, learner=holder.learner, enrollment_id=holder.pk)
    services.offer_decline(tenant=world.a, enrollment_id=first.pk, learner=first.learner)
    for e in (first, second, third):
        e.refresh_from_db()
    assert (first.status, second.status, third.status) == (S.CANCELLED, S.CANCELLED, S.OFFERED)
    assert seats(offering) == 1


def test_expired_holds_and_offers_free_their_seats_for_the_next(world):
    offering, [holder], [first, second] = _full_with_waitlist(world, price_minor=5000, seat_hold_minutes=30)
    later = timezone.now() + timedelta(minutes=31)
    assert services.enrollments_expire_due(now=later) == 1
    holder.refresh_from_db()
    first.refresh_from_db()
    assert (holder.status, first.status) == (S.EXPIRED, S.OFFERED)
    # The offer is not answered: it expires too, and the seat goes to the next.
    much_later = later + timedelta(hours=49)
    assert services.enrollments_expire_due(now=much_later) == 1
    assert services.enrollments_expire_due(now=much_later) == 0  # nothing twice
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == (S.EXPIRED, S.OFFERED)
    assert seats(offering) == 1
    assert [e.action for e in first.events.order_by("pk")] == ["joined_waitlist", "offered", "offer_expired"]


def test_an_expired_offer_cannot_be_accepted_and_moves_on(world):
    _offering, [holder], [first, second] = _full_with_waitlist(world)
    services.enrollment_cancel(tenant=world.a, learner=holder.learner, enrollment_id=holder.pk)
    with pytest.raises(OfferExpired, match="This offer has expired"):
        services.offer_accept(
            tenant=world.a,
            enrollment_id=first.pk,
            learner=first.learner,
            now=timezone.now() + timedelta(hours=49),
        )
    second.refresh_from_db()
    assert second.status == S.OFFERED


def test_newcomers_queue_behind_waiters_even_when_a_seat_shows_free(world):
    offering, [_holder], [first] = _full_with_waitlist(world, waiting=1)
    type(offering).objects.filter(pk=offering.pk).update(capacity=2)  # raised without the hook
    late = services.enrollment_create(tenant=world.a, learner=world.learner, offering_id=offering.pk)
    assert (late.enrollment.status, late.waitlist_position) == (S.WAITLISTED, 2)
    assert services.waitlists_sweep() == 1
    first.refresh_from_db()
    assert first.status == S.OFFERED

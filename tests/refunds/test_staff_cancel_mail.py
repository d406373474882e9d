"""A learner whose paid seat staff cancel is told once: one e-mail saying the seat is cancelled
and what is refunded (the amount, in its currency, and to which card); a second one only if the
refund then fails. A failed refund that staff settle by hand is told once too, with how."""

from __future__ import annotations

from collections import Counter

from django.core import mail

from payments.models import Refund, RefundState
from tests.factories import UserFactory
from tests.payments.conftest import Shop
from tests.refunds.helpers import paid_order, request


def _per_learner() -> Counter[str]:
    return Counter(m.to[0] for m in mail.outbox)


def _three_paid_learners(shop: Shop) -> tuple[int, list[str]]:
    offering = shop.offering(capacity=5)
    emails = []
    for n in range(3):
        learner = UserFactory.create(email=f"learner{n}@example.com")
        shop.learner = learner
        shop.browser = shop.world.client_for(learner, shop.tenant)
        enrollment = shop.hold(offering, learner=learner)
        shop.checkout(enrollment)
        shop.pay(shop.order_of(enrollment))
        shop.deliver()
        emails.append(learner.email)
    return offering.pk, emails


def test_cancelling_an_offering_mails_each_paid_learner_once(shop: Shop, eager_tasks: None) -> None:
    offering_id, emails = _three_paid_learners(shop)
    mail.outbox.clear()
    admin = shop.world.client_for(shop.world.a_unit1_admin, shop.tenant)
    with shop.capture(execute=True):
        admin.post(f"/console/offerings/{offering_id}/cancel/", {"reason": "The teacher is ill"})
    shop.deliver()  # Stripe's refund events: the refunds succeed
    assert set(Refund.objects.values_list("state", flat=True)) == {RefundState.SUCCEEDED}

    assert _per_learner() == Counter(dict.fromkeys(emails, 1))
    told = mail.outbox[0]
    assert "Cancelled, and refunded" in told.subject
    assert "is cancelled" in told.body
    assert "The teacher is ill" in told.body
    assert "$1,250.00 will be refunded to your Visa card ending in 4242" in told.body


def test_a_refund_that_fails_after_the_offering_is_cancelled_is_a_second_mail(
    shop: Shop, eager_tasks: None
) -> None:
    offering_id, emails = _three_paid_learners(shop)
    mail.outbox.clear()
    shop.server.control.add_fault("/v1/refunds", status=402, times=1, method="POST")
    admin = shop.world.client_for(shop.world.a_unit1_admin, shop.tenant)
    with shop.capture(execute=True):
        admin.post(f"/console/offerings/{offering_id}/cancel/", {"reason": "Room flooded"})
    shop.deliver()
    failed = Refund.objects.get(state=RefundState.FAILED)
    unlucky = failed.line.order.email

    counts = _per_learner()
    assert counts == Counter({email: 2 if email == unlucky else 1 for email in emails})
    theirs = [m for m in mail.outbox if m.to == [unlucky]]
    assert "Cancelled, and refunded" in theirs[0].subject  # the notice first, then the failure
    assert "did not go through" in theirs[1].subject


def test_a_staff_cancellation_with_a_refund_is_one_mail(shop: Shop, eager_tasks: None) -> None:
    order = paid_order(shop, 125000)
    line = order.lines.get()
    mail.outbox.clear()
    admin = shop.world.client_for(shop.world.a_unit1_admin, shop.tenant)
    with shop.capture(execute=True):
        admin.post(
            f"/console/offerings/{line.offering_id}/refunds/",
            {"line": line.pk, "amount": "1250", "reason": "Moved abroad", "cancel_enrollment": "on"},
        )
    shop.deliver()
    assert Refund.objects.get().state == RefundState.SUCCEEDED

    assert _per_learner() == Counter({order.email: 1})
    body = mail.outbox[0].body
    assert "is cancelled" in body
    assert "Moved abroad" in body
    assert "$1,250.00 will be refunded to your Visa card ending in 4242" in body


def test_a_failed_refund_resolved_by_hand_tells_the_learner_once(shop: Shop, eager_tasks: None) -> None:
    order = paid_order(shop, 10000)
    shop.server.control.add_fault("/v1/refunds", status=402, times=1, method="POST")
    failed = request(shop, order.lines.get(), 2500)
    assert failed.state == RefundState.FAILED
    mail.outbox.clear()

    admin = shop.world.client_for(shop.world.a_unit1_admin, shop.tenant)
    with shop.capture(execute=True):
        response = admin.post(
            f"/console/refunds/{failed.pk}/resolve/", {"note": "Paid back by bank transfer"}
        )
    assert response.status_code == 302
    failed.refresh_from_db()
    assert failed.state == RefundState.RESOLVED

    assert _per_learner() == Counter({order.email: 1})
    told = mail.outbox[0]
    assert "$25.00" in told.subject
    assert "$25.00" in told.body
    assert "Paid back by bank transfer" in told.body
    # Resolving again is refused and sends nothing more.
    with shop.capture(execute=True):
        admin.post(f"/console/refunds/{failed.pk}/resolve/", {"note": "again"})
    assert len(mail.outbox) == 1


def test_a_paid_seat_cancelled_from_the_roster_says_no_refund_applies_and_why(
    shop: Shop, eager_tasks: None
) -> None:
    order = paid_order(shop, 125000)
    line = order.lines.get()
    mail.outbox.clear()
    admin = shop.world.client_for(shop.world.a_unit1_admin, shop.tenant)
    with shop.capture(execute=True):
        response = admin.post(
            f"/console/enrollments/{line.enrollment_id}/cancel/", {"reason": "Never attended"}
        )
    assert response.status_code == 302
    assert Refund.objects.count() == 0

    assert _per_learner() == Counter({order.email: 1})
    body = mail.outbox[0].body
    assert "cancelled your enrollment" in body
    assert "Never attended" in body
    assert "No refund applies" in body
    assert "cancelled your seat without a refund" in body


def test_a_paid_seat_refunded_in_full_before_says_nothing_more_is_refunded(
    shop: Shop, eager_tasks: None
) -> None:
    order = paid_order(shop, 125000)
    line = order.lines.get()
    request(shop, line, 125000)
    mail.outbox.clear()
    admin = shop.world.client_for(shop.world.a_unit1_admin, shop.tenant)
    with shop.capture(execute=True):
        admin.post(f"/console/enrollments/{line.enrollment_id}/cancel/", {"reason": "Refunded already"})
    body = mail.outbox[0].body
    assert "Nothing more is refunded: the $1,250.00 you paid was refunded in full before." in body


def test_a_learner_cancelling_a_paid_seat_is_told_the_refund_in_the_cancellation(
    shop: Shop, eager_tasks: None
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from tests.catalog.factories import RefundPolicyFactory

    RefundPolicyFactory.create(unit=shop.world.a_unit1, tiers=[(14, 100)])
    enrollment = shop.hold(shop.offering(starts_at=timezone.now() + timedelta(days=20)))
    shop.checkout(enrollment)
    shop.pay(shop.order_of(enrollment))
    shop.deliver()
    mail.outbox.clear()
    with shop.capture(execute=True):
        response = shop.browser.post(
            f"/my/learning/{enrollment.pk}/cancel-paid/", {"expected_minor": "125000"}
        )
    assert response.status_code == 302
    cancelled = [m for m in mail.outbox if "enrollment was cancelled" in m.subject]
    assert len(cancelled) == 1
    assert "$1,250.00 will be refunded to the card you paid with" in cancelled[0].body

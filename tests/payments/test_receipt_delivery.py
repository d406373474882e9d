"""A receipt or refund mail the mail server refused is not marked sent; the minute sweep sends it
once the server takes mail again, once."""

from __future__ import annotations

from datetime import timedelta

from django.core import mail
from django.test import override_settings
from django.utils import timezone

from payments import tasks
from payments.models import Order, OrderStatus, Refund, RefundState
from tests.mail_backends import REFUSING
from tests.payments.conftest import Shop
from tests.refunds.helpers import paid_order, request


def _receipts() -> list[mail.EmailMessage]:
    return [m for m in mail.outbox if "receipt" in m.subject.lower()]


def test_a_refused_receipt_waits_for_the_sweep(shop: Shop, eager_tasks: None) -> None:
    offering = shop.offering(microcredential__title="Python for Data Analysis")
    enrollment = shop.hold(offering)
    shop.checkout(enrollment)
    order = shop.order_of(enrollment)
    shop.pay(order)

    with override_settings(EMAIL_DELIVERY_BACKEND=REFUSING):
        shop.deliver()

    order.refresh_from_db()
    assert order.status == OrderStatus.PAID  # the payment stands
    assert order.receipt_sent_at is None
    assert _receipts() == []

    Order.objects.filter(pk=order.pk).update(paid_at=timezone.now() - timedelta(minutes=2))
    assert tasks.payments_sweep()["receipts"] == 1

    [receipt] = _receipts()
    assert receipt.to == [shop.learner.email]
    assert receipt.subject.startswith("[Alpha Continuing Ed] ")
    order.refresh_from_db()
    assert order.receipt_sent_at is not None
    assert tasks.payments_sweep()["receipts"] == 0
    assert len(_receipts()) == 1


def test_a_refused_refund_outcome_waits_for_the_sweep(shop: Shop, eager_tasks: None) -> None:
    order = paid_order(shop, 12500)
    mail.outbox.clear()

    with override_settings(EMAIL_DELIVERY_BACKEND=REFUSING):
        refund = request(shop, order.lines.get(), 4000)
        shop.deliver()

    refund.refresh_from_db()
    assert refund.state == RefundState.SUCCEEDED
    assert refund.outcome_notified != RefundState.SUCCEEDED
    assert mail.outbox == []

    Refund.objects.filter(pk=refund.pk).update(updated_at=timezone.now() - timedelta(minutes=10))
    assert tasks.payments_sweep()["refund_outcomes"] == 1

    [told] = mail.outbox
    assert told.subject.startswith("[Alpha Continuing Ed] ")
    assert "We have refunded $40.00" in told.body
    assert tasks.payments_sweep()["refund_outcomes"] == 0
    assert len(mail.outbox) == 1


def test_a_receipt_whose_sender_died_is_sent_once_its_claim_lapses(shop: Shop, eager_tasks: None) -> None:
    """A worker that claimed the receipt and died before the mail server took it (its claim is
    left, `receipt_sent_at` empty): nothing is sent while the claim holds, then the sweep sends it."""
    from payments.services.settlement import CLAIM_TIMEOUT, order_receipt_send

    offering = shop.offering(microcredential__title="Python for Data Analysis")
    enrollment = shop.hold(offering)
    shop.checkout(enrollment)
    order = shop.order_of(enrollment)
    with override_settings(EMAIL_DELIVERY_BACKEND=REFUSING):
        shop.pay(order)
        shop.deliver()
    died_at = timezone.now()
    Order.objects.filter(pk=order.pk).update(
        receipt_claimed_at=died_at, paid_at=died_at - timedelta(minutes=2)
    )

    assert order_receipt_send(order_id=order.pk, now=died_at + timedelta(minutes=1)) is False
    assert _receipts() == []
    assert order_receipt_send(order_id=order.pk, now=died_at + CLAIM_TIMEOUT + timedelta(seconds=1))
    assert len(_receipts()) == 1
    order.refresh_from_db()
    assert order.receipt_sent_at is not None
    assert tasks.payments_sweep()["receipts"] == 0
    assert len(_receipts()) == 1

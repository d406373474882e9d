"""The learner is told, once, how a refund ended: the amount and the card when it succeeded,
that staff were alerted and whom to contact when it failed."""

from __future__ import annotations

import threading

import pytest
from django.core import mail
from django.db import connection

from payments import tasks
from payments.models import Refund, RefundState
from payments.services import refund_notices, refund_sweep
from tests.payments.conftest import Shop
from tests.refunds.helpers import paid_order, request


def _told(subject_part: str) -> list[mail.EmailMessage]:
    return [m for m in mail.outbox if subject_part in m.subject]


def test_a_staff_refund_mails_the_learner_once_with_the_amount_and_the_card(
    shop: Shop, eager_tasks: None
) -> None:
    order = paid_order(shop, 12500, card="5555555555554444")
    mail.outbox.clear()

    refund = request(shop, order.lines.get(), 4000)
    sent = shop.deliver()  # refund.created, charge.refunded: already succeeded
    assert refund.state == RefundState.SUCCEEDED

    told = _told("Refunded $40.00")
    assert len(told) == 1
    assert told[0].to == [order.email]
    assert "We have refunded $40.00" in told[0].body
    assert "to your Mastercard card ending in 4444" in told[0].body
    assert "within 5 to 10 business days" in told[0].body
    assert told[0].subject.startswith(f"[{shop.world.a_unit1.name}]")  # the unit's brand
    html = told[0].alternatives[0][0]  # type: ignore[attr-defined]
    assert "ending in 4444" in str(html)

    # The same events delivered again, the job retried, the sweep: still one mail.
    for event in sent:
        shop.post_event(event)
    assert refund_notices.refund_outcome_send(refund_id=refund.pk) is False
    tasks.refund_outcome_send.delay(refund.pk)
    assert refund_sweep.refunds_due()["outcomes"] == []
    assert len(_told("Refunded")) == 1


def test_a_refused_refund_mails_the_learner_once_that_it_failed(shop: Shop, eager_tasks: None) -> None:
    order = paid_order(shop, 10000)
    mail.outbox.clear()
    shop.server.control.add_fault("/v1/refunds", status=402, times=1, method="POST")

    refund = request(shop, order.lines.get(), 2500)
    assert refund.state == RefundState.FAILED

    told = _told("did not go through")
    assert len(told) == 1
    assert told[0].to == [order.email]
    assert "The refund of $25.00" in told[0].body
    assert "have been alerted" in told[0].body
    contact = shop.world.a_unit1.contact_email or shop.tenant.contact_email
    assert contact
    assert contact in told[0].body
    assert _told("Refunded") == []
    assert refund_notices.refund_outcome_send(refund_id=refund.pk) is False
    tasks.refund_outcome_send.delay(refund.pk)
    assert len(mail.outbox) == 1


def test_a_refund_that_fails_after_it_succeeded_is_mailed_once_each_way(
    shop: Shop, eager_tasks: None
) -> None:
    order = paid_order(shop, 125000)
    mail.outbox.clear()
    shop.server.control.fail_next_refund("expired_or_canceled_card", after_seconds=3600)
    refund = request(shop, order.lines.get(), 125000)
    shop.deliver()
    assert len(_told("Refunded $1,250.00")) == 1

    shop.server.control.advance_clock(3601)
    shop.server.control.tick()
    sent = shop.deliver()
    refund.refresh_from_db()
    assert refund.state == RefundState.FAILED
    for event in sent:  # refund.failed delivered twice
        shop.post_event(event)
    tasks.refund_outcome_send.delay(refund.pk)
    assert len(_told("did not go through")) == 1
    assert len(_told("Refunded")) == 1


def test_a_mail_server_down_leaves_the_outcome_for_the_sweep(
    shop: Shop, eager_tasks: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    order = paid_order(shop, 10000)
    mail.outbox.clear()
    with monkeypatch.context() as patched:
        patched.setattr(tasks.refund_outcome_send, "apply_async", lambda args, **kw: None)  # broker lost it
        refund = request(shop, order.lines.get(), 10000)
    assert mail.outbox == []
    Refund.objects.filter(pk=refund.pk).update(updated_at=refund.updated_at - refund_sweep.STUCK_AFTER)
    assert refund_sweep.refunds_due()["outcomes"] == [refund.pk]
    tasks.payments_sweep.delay()
    assert len(_told("Refunded $100.00")) == 1
    assert refund_sweep.refunds_due()["outcomes"] == []


@pytest.mark.django_db(transaction=True)
def test_two_workers_sending_at_once_send_one_mail(shop: Shop, eager_tasks: None) -> None:
    order = paid_order(shop, 10000)
    refund = request(shop, order.lines.get(), 3000)
    Refund.objects.filter(pk=refund.pk).update(outcome_notified="")  # as if not sent yet
    mail.outbox.clear()
    barrier = threading.Barrier(4)
    results: list[bool] = []

    def send() -> None:
        try:
            barrier.wait()
            results.append(refund_notices.refund_outcome_send(refund_id=refund.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False, False, False, True]
    assert len(_told("Refunded $30.00")) == 1


def test_when_stripe_does_not_say_the_card_the_mail_says_the_card_you_paid_with(
    shop: Shop, eager_tasks: None
) -> None:
    order = paid_order(shop, 10000)
    mail.outbox.clear()
    shop.server.control.add_fault("/v1/charges", status=400, times=50, method="GET")
    try:
        request(shop, order.lines.get(), 1000)
    finally:
        shop.server.control.clear_faults()
    told = _told("Refunded $10.00")
    assert len(told) == 1
    assert "to the card you paid with" in told[0].body
    assert "ending in" not in told[0].body

"""Seats nobody redeemed when enrollment closes expire, or are credited, per the employer's
agreement; the employer is told once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.db.models import Sum

from enrollment.models import Enrollment
from ledger.models import AccountKind, LedgerEntry, LedgerTransaction
from payments import stripe_api
from sponsors.errors import SeatCodeRefused
from sponsors.models import Employer, PoolSeat, PoolStatus, SeatPool, Unredeemed
from sponsors.services import agreement, learners, pools, seats
from sponsors.tasks import pools_end_due
from tenants.selectors import staff_access
from tests.factories import UserFactory
from tests.payments.conftest import Shop
from tests.sponsors.test_pools import _deliver, _pool, _run


def _balance(shop: Shop, kind: AccountKind) -> int:
    total = LedgerEntry.objects.filter(tenant=shop.tenant, account__kind=kind).aggregate(s=Sum("amount"))["s"]
    return int(total or 0)


def _closed(pool: SeatPool) -> Any:
    return pool.closes_at + timedelta(minutes=1)


def _redeem_one(shop: Shop, pool: SeatPool) -> str:
    first, *_rest = PoolSeat.objects.filter(pool=pool).order_by("pk").values_list("code", flat=True)
    seats.seat_redeem(tenant=shop.tenant, learner=shop.learner, code=first)
    return first


def _agree(pool: SeatPool, unredeemed: str) -> None:
    Employer.objects.filter(pk=pool.employer_id).update(unredeemed=unredeemed)
    SeatPool.objects.filter(pk=pool.pk).update(unredeemed=unredeemed)


def test_free_seats_expire_at_the_close_and_the_employer_is_told_once(
    shop: Shop, eager_tasks: None, django_capture_on_commit_callbacks: Any
) -> None:
    pool = _pool(shop, seats_n=3)
    _redeem_one(shop, pool)
    free_codes = list(
        PoolSeat.objects.filter(pool=pool, redeemed_at__isnull=True).values_list("code", flat=True)
    )
    before = _closed(pool) - timedelta(minutes=2)
    assert pool.pk not in agreement.pools_to_end(now=before)
    assert agreement.pool_end(pool_id=pool.pk, now=before) is None  # not closed yet: nothing
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        ended = agreement.pool_end(pool_id=pool.pk, now=_closed(pool))
    assert ended is not None
    assert ended.ended_at is not None
    assert ended.credited_minor == 0
    _run(pool).refresh_from_db()
    assert _run(pool).seats_taken == 1  # the learner's; the two free seats went back
    assert PoolSeat.objects.filter(pool=pool, expired_at__isnull=False).count() == 2
    with pytest.raises(SeatCodeRefused):
        seats.seat_redeem(tenant=shop.tenant, learner=UserFactory.create(), code=free_codes[0])
    (told,) = mail.outbox
    assert sorted(told.to) == ["billing@acme.test", "hr@acme.test"]
    assert "2 seats were not handed out." in told.body
    assert "they expire" in told.body
    # The sweep again, and the e-mail job again, change and send nothing.
    with django_capture_on_commit_callbacks(execute=True):
        assert agreement.pool_end(pool_id=pool.pk, now=_closed(pool) + timedelta(hours=1)) is not None
    assert not agreement.pool_ended_tell(pool_id=pool.pk)
    assert len(mail.outbox) == 1
    _run(pool).refresh_from_db()
    assert _run(pool).seats_taken == 1
    assert pool.pk not in agreement.pools_to_end(now=_closed(pool) + timedelta(days=1))
    # The contact's page says so.
    contact = shop.world.client_for(pool.employer.contacts.get().user, shop.tenant)
    page = contact.get(f"/sponsor/pools/{pool.pk}/").content.decode()
    assert "(over)" in page
    assert "Expired" in page


def test_the_sweep_finds_closed_pools_only(shop: Shop, eager_tasks: None) -> None:
    pool = _pool(shop, seats_n=1)
    assert pools_end_due() == 0  # the offering is weeks away
    assert SeatPool.objects.get(pk=pool.pk).ended_at is None


def test_free_seats_of_an_unpaid_invoice_are_credited_off_it(shop: Shop, eager_tasks: None) -> None:
    pool = _pool(shop, seats_n=3)  # 3 × $500.00
    _agree(pool, Unredeemed.CREDIT)
    _redeem_one(shop, pool)
    ended = agreement.pool_end(pool_id=pool.pk, now=_closed(pool))
    assert ended is not None
    assert ended.credited_minor == 100000
    assert ended.credit_note_id.startswith("cn_")
    invoice = stripe_api.invoice_retrieve(tenant=shop.tenant, invoice_id=pool.stripe_invoice_id)
    assert invoice.amount_due == 50000  # what is still owed: the one seat handed out
    assert _balance(shop, AccountKind.UNIT_RECEIVABLE) == 50000
    assert _balance(shop, AccountKind.UNIT_REFUNDS) == 100000
    # Paying what is left settles the receivable; ending again credits nothing more.
    for event in shop.new_events():
        shop.delivered.add(event["id"])
    shop.server.client().v1.invoices.pay(pool.stripe_invoice_id, params={"paid_out_of_band": True})
    _deliver(shop, "invoice.paid")
    assert SeatPool.objects.get(pk=pool.pk).status == PoolStatus.PAID
    assert _balance(shop, AccountKind.UNIT_RECEIVABLE) == 0
    assert agreement.pool_end(pool_id=pool.pk, now=_closed(pool)) is not None
    assert LedgerTransaction.objects.filter(tenant=shop.tenant, kind="credit_note").count() == 1


def test_free_seats_of_a_card_paid_invoice_are_refunded_to_the_card(shop: Shop, eager_tasks: None) -> None:
    pool = _pool(shop, seats_n=3)
    _agree(pool, Unredeemed.CREDIT)
    for event in shop.new_events():
        shop.delivered.add(event["id"])
    shop.server.control.pay_invoice(pool.stripe_invoice_id)
    _deliver(shop, "invoice.paid")
    pool.refresh_from_db()
    assert pool.status == PoolStatus.PAID
    _redeem_one(shop, pool)
    ended = agreement.pool_end(pool_id=pool.pk, now=_closed(pool))
    assert ended is not None
    assert ended.credited_minor == 100000
    (refund,) = LedgerTransaction.objects.filter(tenant=shop.tenant, kind="refund")
    assert refund.source_ref.startswith("re_")  # as finance reconciles Stripe's refunds
    stripe_refund = stripe_api.refund_retrieve(tenant=shop.tenant, refund_id=refund.source_ref)
    assert stripe_refund.amount == 100000
    assert _balance(shop, AccountKind.UNIT_REFUNDS) == 100000


def test_an_invoice_voided_after_its_credit_note_owes_nothing_and_frees_no_seat_twice(
    shop: Shop, eager_tasks: None
) -> None:
    pool = _pool(shop, seats_n=3)
    _agree(pool, Unredeemed.CREDIT)
    _redeem_one(shop, pool)
    assert agreement.pool_end(pool_id=pool.pk, now=_closed(pool)) is not None
    _run(pool).refresh_from_db()
    taken = _run(pool).seats_taken
    admin = shop.world.a_admin
    pools.pool_void(tenant=shop.tenant, access=staff_access(user=admin, tenant=shop.tenant), pool_id=pool.pk)
    assert SeatPool.objects.get(pk=pool.pk).status == PoolStatus.VOID
    assert _balance(shop, AccountKind.UNIT_RECEIVABLE) == 0
    assert _balance(shop, AccountKind.UNIT_REFUNDS) == 0
    _run(pool).refresh_from_db()
    assert _run(pool).seats_taken == taken  # the expired seats went back once, at the close


def test_a_seat_given_back_after_the_pool_ended_frees_in_the_run_and_is_not_handed_out_again(
    shop: Shop, eager_tasks: None
) -> None:
    pool = _pool(shop, seats_n=2)
    _redeem_one(shop, pool)
    enrollment = Enrollment.objects.get(learner=shop.learner)
    closed = _closed(pool)
    assert agreement.pool_end(pool_id=pool.pk, now=closed) is not None
    _run(pool).refresh_from_db()
    assert _run(pool).seats_taken == 1
    learners.seat_give_back(tenant=shop.tenant, learner=shop.learner, enrollment_id=enrollment.pk, now=closed)
    _run(pool).refresh_from_db()
    assert _run(pool).seats_taken == 0  # not kept for a pool that can no longer hand it out
    assert PoolSeat.objects.filter(pool=pool, expired_at__isnull=True).count() == 0

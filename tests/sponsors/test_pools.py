"""Employer-sponsored seats as staff, the employer's contact and the learner see them: a pool
invoiced on the (local) Stripe, its receivable in the ledger moved once when the invoice is paid,
seats redeemed with a one-time code and no card, a CSV of e-mails enrolled all or nothing."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.db.models import Sum
from django.utils import timezone

from catalog.models import Offering
from enrollment.models import Enrollment, EnrollmentStatus
from finance.models import BalanceTransaction, MatchState, Problem
from finance.services.imports import stripe_import
from finance.services.reconcile import reconcile
from ledger.models import AccountKind, LedgerEntry, LedgerTransaction
from payments import stripe_api
from payments.models import Order
from sponsors.errors import BulkRefused, SeatCodeRefused
from sponsors.models import PoolSeat, PoolStatus, SeatPool
from sponsors.services import employers, pools, seats
from tenants.errors import NotVisible
from tenants.selectors import staff_access
from tests.factories import UserFactory
from tests.payments.conftest import Shop


def _run(pool: SeatPool) -> Offering:
    """The run of a pool of one run (every pool these tests make)."""
    assert pool.offering is not None
    return pool.offering


def _balance(shop: Shop, kind: AccountKind) -> int:
    total = LedgerEntry.objects.filter(tenant=shop.tenant, account__kind=kind, currency="USD").aggregate(
        s=Sum("amount")
    )["s"]
    return int(total or 0)


def _events(shop: Shop, *types: str) -> list[dict[str, Any]]:
    """New events as plain JSON (the SDK reads Stripe's `*_decimal` strings as Decimal)."""
    return [json.loads(json.dumps(e, default=str)) for e in shop.new_events(*types)]


def _deliver(shop: Shop, *types: str) -> None:
    for event in _events(shop, *types):
        assert shop.post_event(event).status_code == 200


def _pool(
    shop: Shop, *, seats_n: int = 3, offering: Offering | None = None, org: str = "Acme Training"
) -> SeatPool:
    admin = shop.world.a_admin
    access = staff_access(user=admin, tenant=shop.tenant)
    employer = employers.employer_create(
        tenant=shop.tenant,
        access=access,
        organisation=org,
        billing_email="billing@acme.test",
        po_number="4500012345",
        contact_emails=[f"hr@{org.split()[0].lower()}.test"],
    )
    offering = offering or shop.offering(capacity=5, price_minor=50000)
    pool = pools.pool_create(
        tenant=shop.tenant,
        access=access,
        actor=admin,
        employer_id=employer.pk,
        offering_id=offering.pk,
        seats=seats_n,
    )
    return pools.pool_invoice_send(tenant=shop.tenant, pool_id=pool.pk)


def test_a_pool_sends_an_invoice_and_books_a_receivable(shop: Shop) -> None:
    pool = _pool(shop)
    invoice = stripe_api.invoice_retrieve(tenant=shop.tenant, invoice_id=pool.stripe_invoice_id)
    assert (invoice.status, invoice.collection_method, invoice.amount_due) == ("open", "send_invoice", 150000)
    assert invoice.footer == "PO 4500012345"
    assert pool.status == PoolStatus.INVOICED
    assert pool.invoice_number
    assert pool.hosted_invoice_url
    assert _balance(shop, AccountKind.UNIT_RECEIVABLE) == 150000
    assert _balance(shop, AccountKind.UNIT_REVENUE) == -150000
    _run(pool).refresh_from_db()
    assert _run(pool).seats_taken == 3  # reserved for the employer
    assert PoolSeat.objects.filter(pool=pool).count() == 3
    # Sending again makes no second invoice nor a second posting.
    again = pools.pool_invoice_send(tenant=shop.tenant, pool_id=pool.pk)
    assert again.stripe_invoice_id == pool.stripe_invoice_id
    assert LedgerTransaction.objects.filter(tenant=shop.tenant, kind="invoice").count() == 1


def test_a_pool_larger_than_the_seats_left_is_refused_and_nothing_kept(shop: Shop) -> None:
    offering = shop.offering(capacity=2, price_minor=50000)
    with pytest.raises(Exception, match="Only 2 seats are left"):
        _pool(shop, seats_n=3, offering=offering)
    offering.refresh_from_db()
    assert offering.seats_taken == 0
    assert not SeatPool.objects.exists()


def test_invoice_paid_moves_the_receivable_once_even_delivered_twice(
    shop: Shop, eager_tasks: None, django_capture_on_commit_callbacks: Any
) -> None:
    pool = _pool(shop)
    code = PoolSeat.objects.filter(pool=pool).order_by("pk").first().code  # type: ignore[union-attr]
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        seats.seat_redeem(tenant=shop.tenant, learner=shop.learner, code=code)
    for event in shop.new_events():
        shop.delivered.add(event["id"])
    shop.server.control.pay_invoice(pool.stripe_invoice_id)
    (paid,) = _events(shop, "invoice.paid")
    assert shop.post_event(paid).status_code == 200
    assert shop.post_event(paid).status_code == 200  # Stripe delivers it again
    pool.refresh_from_db()
    assert pool.status == PoolStatus.PAID
    assert _balance(shop, AccountKind.UNIT_RECEIVABLE) == 0
    # The card payment's real fee (its balance transaction) is the unit's, once.
    (payment,) = stripe_api.invoice_payments_list(tenant=shop.tenant, invoice_id=pool.stripe_invoice_id)
    intent = stripe_api.payment_intent_retrieve(
        tenant=shop.tenant, intent_id=payment["payment"]["payment_intent"]
    )
    charge = stripe_api.charge_retrieve(
        tenant=shop.tenant, charge_id=str(intent.latest_charge), expand=["balance_transaction"]
    )
    fee = int(charge.balance_transaction.fee)  # type: ignore[union-attr]
    assert fee > 0
    assert _balance(shop, AccountKind.UNIT_FEES) == fee
    assert _balance(shop, AccountKind.PROCESSOR_CLEARING) == 150000 - fee
    (card,) = LedgerTransaction.objects.filter(tenant=shop.tenant, kind="charge")
    assert card.source_ref == charge.id  # as finance reconciles Stripe's charges
    # The same event applied by hand once more (a redelivered job), and the settle job run
    # again, change nothing either.
    pools.invoice_event_apply(tenant=shop.tenant, event=paid)
    assert not pools.pool_settle(pool_id=pool.pk)
    assert pools.pools_unsettled(now=timezone.now() + timedelta(days=400)) == []
    assert _balance(shop, AccountKind.PROCESSOR_CLEARING) == 150000 - fee
    assert _balance(shop, AccountKind.UNIT_FEES) == fee
    # Paying confirms no seat by itself, and the seat redeemed before is confirmed and mailed once.
    assert Enrollment.objects.get().learner == shop.learner
    assert len([m for m in mail.outbox if m.to == [shop.learner.email]]) == 1
    assert "Paid" in str(PoolStatus(pool.status).label)


def test_an_invoice_paid_by_bank_transfer_is_in_the_bank(shop: Shop, eager_tasks: None) -> None:
    pool = _pool(shop)
    for event in shop.new_events():
        shop.delivered.add(event["id"])
    shop.server.client().v1.invoices.pay(pool.stripe_invoice_id, params={"paid_out_of_band": True})
    _deliver(shop, "invoice.paid")
    pool.refresh_from_db()
    assert pool.status == PoolStatus.PAID
    assert pool.settled_at is not None
    assert _balance(shop, AccountKind.UNIT_RECEIVABLE) == 0
    assert _balance(shop, AccountKind.BANK) == 150000
    assert _balance(shop, AccountKind.PROCESSOR_CLEARING) == 0


def test_an_overdue_invoice_marks_the_pool_and_a_declined_card_changes_nothing(
    shop: Shop, eager_tasks: None
) -> None:
    pool = _pool(shop)
    for event in shop.new_events():
        shop.delivered.add(event["id"])
    shop.server.control.pay_invoice(pool.stripe_invoice_id, "4000000000000002")  # declined
    _deliver(shop, "invoice.payment_failed")
    pool.refresh_from_db()
    assert pool.status == PoolStatus.INVOICED
    shop.server.control.advance_clock(31 * 86_400)
    _deliver(shop, "invoice.overdue")
    pool.refresh_from_db()
    assert pool.status == PoolStatus.OVERDUE
    assert _balance(shop, AccountKind.UNIT_RECEIVABLE) == 150000  # still owed


def test_a_void_invoice_reverses_the_receivable_and_gives_seats_back(shop: Shop, eager_tasks: None) -> None:
    pool = _pool(shop)
    for event in shop.new_events():
        shop.delivered.add(event["id"])
    stripe_api.invoice_void(tenant=shop.tenant, invoice_id=pool.stripe_invoice_id, key="t:void")
    _deliver(shop, "invoice.voided")
    pool.refresh_from_db()
    _run(pool).refresh_from_db()
    assert pool.status == PoolStatus.VOID
    assert _balance(shop, AccountKind.UNIT_RECEIVABLE) == 0
    assert _run(pool).seats_taken == 0
    code = PoolSeat.objects.filter(pool=pool).first().code  # type: ignore[union-attr]
    with pytest.raises(SeatCodeRefused):
        seats.seat_redeem(tenant=shop.tenant, learner=shop.learner, code=code)


def test_a_code_confirms_a_seat_without_a_card_and_mails_once(
    shop: Shop, eager_tasks: None, django_capture_on_commit_callbacks: Any
) -> None:
    pool = _pool(shop)
    code = PoolSeat.objects.filter(pool=pool).order_by("pk").first().code  # type: ignore[union-attr]
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        enrollment = seats.seat_redeem(tenant=shop.tenant, learner=shop.learner, code=f" {code.lower()} ")
    assert enrollment.status == EnrollmentStatus.CONFIRMED
    assert not Order.objects.exists()  # no checkout, no card
    _run(pool).refresh_from_db()
    assert _run(pool).seats_taken == 3  # the reserved seat became the learner's: not one more
    sent = [m for m in mail.outbox if m.to == [shop.learner.email]]
    assert len(sent) == 1
    with pytest.raises(SeatCodeRefused, match="used already"):
        seats.seat_redeem(tenant=shop.tenant, learner=UserFactory.create(), code=code)
    assert Enrollment.objects.count() == 1


def _contact(pool: SeatPool) -> Any:
    return pool.employer.contacts.get().user


def test_bulk_csv_with_one_bad_row_saves_nothing_and_names_the_row(shop: Shop) -> None:
    pool = _pool(shop, seats_n=3)
    data = b"email\nana@example.test\nnot-an-address\nbo@example.test\n"
    with pytest.raises(BulkRefused) as refused:
        seats.bulk_enroll(tenant=shop.tenant, contact_user=_contact(pool), pool_id=pool.pk, data=data)
    assert refused.value.rows == [(3, "“not-an-address” is not an e-mail address.")]
    assert "Nobody was enrolled" in refused.value.message
    assert not Enrollment.objects.exists()
    assert not PoolSeat.objects.filter(redeemed_at__isnull=False).exists()
    _run(pool).refresh_from_db()
    assert _run(pool).seats_taken == 3


def test_bulk_csv_refuses_duplicates_and_too_many_rows(shop: Shop) -> None:
    pool = _pool(shop, seats_n=2)
    data = b"a@example.test\nA@example.test\nc@example.test\n"
    with pytest.raises(BulkRefused) as refused:
        seats.bulk_enroll(tenant=shop.tenant, contact_user=_contact(pool), pool_id=pool.pk, data=data)
    reasons = dict(refused.value.rows)
    assert reasons[2] == "a@example.test is also on row 1."
    assert "only 2 seats left" in reasons[3]
    assert not Enrollment.objects.exists()


def test_bulk_csv_of_good_rows_enrolls_everyone(
    shop: Shop, eager_tasks: None, django_capture_on_commit_callbacks: Any
) -> None:
    pool = _pool(shop, seats_n=3)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        result = seats.bulk_enroll(
            tenant=shop.tenant,
            contact_user=_contact(pool),
            pool_id=pool.pk,
            data=b"ana@example.test\nbo@example.test\n",
        )
    assert result.enrolled == ["ana@example.test", "bo@example.test"]
    assert Enrollment.objects.filter(status=EnrollmentStatus.CONFIRMED).count() == 2
    assert sorted(m.to[0] for m in mail.outbox) == ["ana@example.test", "bo@example.test"]
    assert PoolSeat.objects.filter(pool=pool, redeemed_at__isnull=True).count() == 1


def test_a_contact_of_one_employer_cannot_reach_another_employers_pool(shop: Shop) -> None:
    pool_a = _pool(shop, org="Acme Training")
    pool_b = _pool(shop, org="Bolt Logistics", offering=shop.offering(capacity=5, price_minor=50000))
    with pytest.raises(NotVisible):
        seats.bulk_enroll(
            tenant=shop.tenant, contact_user=_contact(pool_a), pool_id=pool_b.pk, data=b"x@example.test\n"
        )
    assert not Enrollment.objects.exists()


def test_a_lost_fee_job_is_found_by_the_sweep(shop: Shop, eager_tasks: None, monkeypatch: Any) -> None:
    pool = _pool(shop)
    for event in shop.new_events():
        shop.delivered.add(event["id"])
    monkeypatch.setattr(pools, "enqueue_after_commit", lambda *args: None)  # the broker is down
    shop.server.control.pay_invoice(pool.stripe_invoice_id)
    _deliver(shop, "invoice.paid")
    pool.refresh_from_db()
    assert pool.settled_at is None
    assert _balance(shop, AccountKind.UNIT_FEES) == 0
    later = (pool.paid_at or timezone.now()) + timedelta(minutes=6)
    assert pools.pools_unsettled(now=later) == [pool.pk]
    assert pools.pool_settle(pool_id=pool.pk)
    assert _balance(shop, AccountKind.UNIT_FEES) > 0
    assert pools.pools_unsettled(now=later) == []


def test_beat_sweeps_unsettled_pools_with_a_registered_task() -> None:
    from microcred.celery import app
    from microcred.settings import CELERY_BEAT_SCHEDULE

    entry = CELERY_BEAT_SCHEDULE["sponsors-settle-due"]
    assert entry["task"] == "sponsors.settle_due"
    app.loader.import_default_modules()
    assert {"sponsors.settle_due", "sponsors.settle_pool"} <= set(app.tasks)


def test_finance_reconciles_a_card_paid_invoice_with_no_problem(shop: Shop, eager_tasks: None) -> None:
    pool = _pool(shop)
    for event in shop.new_events():
        shop.delivered.add(event["id"])
    shop.server.control.pay_invoice(pool.stripe_invoice_id)
    _deliver(shop, "invoice.paid")
    stripe_import(tenant=shop.tenant, client=shop.server.client(), trigger="test")
    reconcile(tenant=shop.tenant)
    (charge,) = BalanceTransaction.objects.filter(tenant=shop.tenant, type="charge")
    assert charge.match == MatchState.MATCHED
    assert not Problem.objects.filter(tenant=shop.tenant).exists()


def test_bulk_csv_refuses_someone_already_enrolled(shop: Shop) -> None:
    pool = _pool(shop, seats_n=3)
    shop.hold(_run(pool), learner=shop.learner)  # already holds a seat there
    data = f"new@example.test\n{shop.learner.email.upper()}\n".encode()
    with pytest.raises(BulkRefused) as refused:
        seats.bulk_enroll(tenant=shop.tenant, contact_user=_contact(pool), pool_id=pool.pk, data=data)
    assert refused.value.rows == [(2, f"{shop.learner.email.lower()} is already enrolled in this offering.")]
    assert Enrollment.objects.count() == 1
    assert not PoolSeat.objects.filter(redeemed_at__isnull=False).exists()

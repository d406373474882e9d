"""A sponsored learner's consent decides what the employer's contact sees; a learner gives a
sponsored seat back to the employer."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.db.models import Sum

from enrollment.models import CompletionOutcome, CompletionSource, Enrollment, EnrollmentStatus
from enrollment.services.completion import completion_record
from ledger.models import AccountKind, LedgerEntry, LedgerTransaction
from payments.models import TenantStripeSettings
from sponsors import personal_data as sponsors_personal_data
from sponsors.errors import SeatCodeRefused
from sponsors.models import PoolSeat, PoolStatus, SeatPool
from sponsors.services import seats
from tests.factories import UserFactory
from tests.payments.conftest import Shop
from tests.sponsors.test_pools import _deliver, _pool, _run


def _csv(response: Any) -> list[dict[str, str]]:
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(body)))


def _balance(shop: Shop, kind: AccountKind) -> int:
    total = LedgerEntry.objects.filter(tenant=shop.tenant, account__kind=kind).aggregate(s=Sum("amount"))["s"]
    return int(total or 0)


def _codes(pool: Any) -> list[str]:
    return list(PoolSeat.objects.filter(pool=pool).order_by("pk").values_list("code", flat=True))


def test_a_learner_who_refuses_consent_is_not_visible_to_the_sponsor(shop: Shop) -> None:
    pool = _pool(shop, seats_n=3)
    contact = shop.world.client_for(pool.employer.contacts.get().user, shop.tenant)
    sharer = UserFactory.create(email="sam.sharer@example.test", full_name="Sam Sharer")
    refuser = UserFactory.create(email="rita.refuser@example.test", full_name="Rita Refuser")
    first, second, _third = _codes(pool)
    # Through the page: the consent box ticked by one learner, left empty by the other.
    as_sharer = shop.world.client_for(sharer, shop.tenant)
    as_refuser = shop.world.client_for(refuser, shop.tenant)
    assert as_sharer.post("/sponsor/redeem/", {"code": first, "share": "on"}).status_code == 302
    assert as_refuser.post("/sponsor/redeem/", {"code": second}).status_code == 302
    shared = Enrollment.objects.get(learner=sharer)
    after = {"on": _run(pool).ends_at.date(), "now": _run(pool).ends_at + timedelta(days=1)}
    completion_record(
        tenant=shop.tenant,
        enrollment_id=shared.pk,
        outcome=CompletionOutcome.COMPLETED,
        result="Distinction",
        source=CompletionSource.STAFF,
        actor=shop.world.a_admin,
        **after,  # type: ignore[arg-type]
    )
    completion_record(
        tenant=shop.tenant,
        enrollment_id=Enrollment.objects.get(learner=refuser).pk,
        outcome=CompletionOutcome.COMPLETED,
        result="Pass",
        source=CompletionSource.STAFF,
        actor=shop.world.a_admin,
        **after,  # type: ignore[arg-type]
    )

    page = contact.get(f"/sponsor/pools/{pool.pk}/").content.decode()
    assert "Sam Sharer" in page
    assert "sam.sharer@example.test" in page
    assert "Completed on" in page
    assert "Distinction" in page
    assert "Rita" not in page
    assert "rita.refuser" not in page
    assert "Pass" not in page
    assert "1 more person took a seat and has not agreed to share their progress" in page

    report = _csv(contact.get(f"/sponsor/pools/{pool.pk}/report.csv"))
    assert [r["email"] for r in report if r["email"]] == ["sam.sharer@example.test"]
    assert report[0]["status"] == "Completed"
    assert report[0]["completed_on"]
    assert "rita" not in str(report).lower()
    codes = _csv(contact.get(f"/sponsor/pools/{pool.pk}/codes.csv"))
    by_code = {r["code"]: r for r in codes}
    assert by_code[first]["email"] == "sam.sharer@example.test"
    assert by_code[second]["email"] == ""
    assert by_code[second]["redeemed"] == "yes"
    assert by_code[second]["link"] == ""  # a used code is not offered again


def test_consent_is_revocable_and_given_later_from_my_learning(shop: Shop) -> None:
    pool = _pool(shop, seats_n=2)
    contact = shop.world.client_for(pool.employer.contacts.get().user, shop.tenant)
    learner = UserFactory.create(email="lee@example.test", full_name="Lee Later")
    enrollment = seats.seat_redeem(tenant=shop.tenant, learner=learner, code=_codes(pool)[0])
    me = shop.world.client_for(learner, shop.tenant)
    my = me.get("/my/learning/").content.decode()
    assert "Seat sponsored by Acme Training." in my
    assert "Acme Training does not see your progress." in my
    assert "Lee Later" not in contact.get(f"/sponsor/pools/{pool.pk}/").content.decode()

    seat_page = me.get(f"/sponsor/seats/{enrollment.pk}/").content.decode()
    assert "Share my status and completion with Acme Training" in seat_page
    assert me.post(f"/sponsor/seats/{enrollment.pk}/", {"share": "yes"}).status_code == 302
    assert "Lee Later" in contact.get(f"/sponsor/pools/{pool.pk}/").content.decode()
    seat = PoolSeat.objects.get(enrollment=enrollment)
    assert seat.shares_progress
    assert seat.sharing_changed_at is not None

    assert me.post(f"/sponsor/seats/{enrollment.pk}/", {"share": "no"}).status_code == 302
    page = contact.get(f"/sponsor/pools/{pool.pk}/").content.decode()
    assert "Lee Later" not in page
    assert "lee@example.test" not in page
    assert "Acme Training does not see your progress." in me.get("/my/learning/").content.decode()
    # Nobody else reaches this learner's consent page.
    other = shop.world.client_for(UserFactory.create(), shop.tenant)
    assert other.get(f"/sponsor/seats/{enrollment.pk}/").status_code == 404
    assert other.post(f"/sponsor/seats/{enrollment.pk}/", {"share": "yes"}).status_code == 404
    assert not PoolSeat.objects.get(enrollment=enrollment).shares_progress


def test_a_learner_gives_the_seat_back_and_the_employer_can_hand_it_out_again(
    shop: Shop, eager_tasks: None, django_capture_on_commit_callbacks: Any
) -> None:
    pool = _pool(shop, seats_n=1)
    old_code = _codes(pool)[0]
    with django_capture_on_commit_callbacks(execute=True):
        enrollment = seats.seat_redeem(tenant=shop.tenant, learner=shop.learner, code=old_code)
    my = shop.browser.get("/my/learning/").content.decode()
    assert f"/sponsor/seats/{enrollment.pk}/cancel/" in my  # "Cancel enrollment" leads here
    ask = shop.browser.get(f"/sponsor/seats/{enrollment.pk}/cancel/").content.decode()
    assert "Your seat goes back to Acme Training" in ask
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        done = shop.browser.post(f"/sponsor/seats/{enrollment.pk}/cancel/", follow=True)
    assert "the seat is back with Acme Training" in done.content.decode()
    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.CANCELLED
    assert len([m for m in mail.outbox if m.to == [shop.learner.email]]) == 1  # told once
    _run(pool).refresh_from_db()
    assert _run(pool).seats_taken == 1  # still the pool's: nobody else took it
    seat = PoolSeat.objects.get(pool=pool)
    assert seat.redeemed_at is None
    assert seat.code != old_code
    # The old code is dead; the new one gives the seat to a colleague.
    colleague = UserFactory.create()
    with pytest.raises(SeatCodeRefused):
        seats.seat_redeem(tenant=shop.tenant, learner=colleague, code=old_code)
    seats.seat_redeem(tenant=shop.tenant, learner=colleague, code=seat.code)
    assert Enrollment.objects.get(learner=colleague).status == EnrollmentStatus.CONFIRMED
    _run(pool).refresh_from_db()
    assert _run(pool).seats_taken == 1
    # A second "give back" of the cancelled enrollment is a 404, not a 500.
    assert shop.browser.post(f"/sponsor/seats/{enrollment.pk}/cancel/").status_code == 404


def test_a_contact_buys_seats_by_invoice_in_the_portal_and_hands_them_out(shop: Shop) -> None:
    made = _pool(shop, seats_n=1)  # the employer and its contact, as staff set them up
    employer = made.employer
    contact = shop.world.client_for(employer.contacts.get().user, shop.tenant)
    offering = shop.offering(capacity=30, price_minor=40000)
    portal = contact.get("/sponsor/").content.decode()
    assert f"/sponsor/employers/{employer.pk}/buy/" in portal
    form = contact.get(f"/sponsor/employers/{employer.pk}/buy/").content.decode()
    assert "$400.00 a seat" in form
    key = re.search(r'name="request_key" value="([0-9a-f]+)"', form).group(1)  # type: ignore[union-attr]
    data = {"offering": offering.pk, "seats": "20", "pay": "invoice", "request_key": key}
    done = contact.post(f"/sponsor/employers/{employer.pk}/buy/", data, follow=True)
    page = done.content.decode()
    pool = SeatPool.objects.get(offering=offering)
    assert f"Invoice {pool.invoice_number} for $8,000.00 is sent to billing@acme.test." in page
    assert pool.status == PoolStatus.INVOICED
    assert pool.created_by == employer.contacts.get().user
    assert "Download the invoice (PDF)" in page
    assert pool.invoice_pdf_url.endswith("/pdf")
    offering.refresh_from_db()
    assert offering.seats_taken == 20
    # The same form sent again (a double click) buys nothing more.
    assert contact.post(f"/sponsor/employers/{employer.pk}/buy/", data).status_code == 302
    assert SeatPool.objects.filter(offering=offering).count() == 1
    offering.refresh_from_db()
    assert offering.seats_taken == 20


def test_bad_input_on_the_buying_page_is_said_and_buys_nothing(shop: Shop) -> None:
    employer = _pool(shop, seats_n=1).employer
    contact = shop.world.client_for(employer.contacts.get().user, shop.tenant)
    url = f"/sponsor/employers/{employer.pk}/buy/"
    small = shop.offering(capacity=3, price_minor=40000)
    too_many = contact.post(url, {"offering": small.pk, "seats": "4", "pay": "card"})
    assert too_many.status_code == 400
    assert "Only 3 seats are left in this offering" in too_many.content.decode()
    for bad in (
        {"offering": "x", "seats": "1", "pay": "card"},
        {"offering": small.pk, "seats": "-1", "pay": "card"},
        {"offering": small.pk, "seats": str(2**63), "pay": "cheque"},
        {},
    ):
        assert contact.post(url, bad).status_code == 400
    free = shop.offering(capacity=3, price_minor=0)
    assert contact.post(url, {"offering": free.pk, "seats": "1", "pay": "card"}).status_code == 400
    assert not SeatPool.objects.filter(offering__in=[small, free]).exists()
    # Someone who is no contact of this employer: 404.
    assert shop.browser.get(url).status_code == 404


def test_a_contact_pays_by_card_through_checkout_and_gets_the_paid_invoice(
    shop: Shop, eager_tasks: None, django_capture_on_commit_callbacks: Any
) -> None:
    employer = _pool(shop, seats_n=1).employer
    contact = shop.world.client_for(employer.contacts.get().user, shop.tenant)
    offering = shop.offering(capacity=5, price_minor=40000)
    for event in shop.new_events():
        shop.delivered.add(event["id"])
    sent = contact.post(
        f"/sponsor/employers/{employer.pk}/buy/", {"offering": offering.pk, "seats": "2", "pay": "card"}
    )
    pool = SeatPool.objects.get(offering=offering)
    assert sent.status_code == 302
    assert sent["Location"] == pool.checkout_url
    assert pool.status == PoolStatus.CHECKOUT
    waiting = contact.get(f"/sponsor/pools/{pool.pk}/").content.decode()
    assert "Awaiting card payment" in waiting
    assert "Enrol a list of e-mails" not in waiting  # not paid: nothing to hand out yet
    shop.server.control.pay(pool.checkout_session_id, "4242424242424242")
    # Back from Checkout before any webhook: the page reads the session and shows it paid.
    with django_capture_on_commit_callbacks(execute=True):  # the fee job runs after the commit
        back = contact.get(f"/sponsor/pools/{pool.pk}/").content.decode()
    pool.refresh_from_db()
    assert pool.status == PoolStatus.PAID
    assert pool.stripe_invoice_id.startswith("in_")
    assert "Download the invoice (PDF)" in back
    assert "Enrol a list of e-mails" in back
    # Then Stripe's events: applied once, nothing doubled.
    _deliver(shop)
    mine = LedgerTransaction.objects.filter(tenant=shop.tenant, order_ref=f"pool:{pool.pk}")
    assert mine.filter(kind="invoice", source_ref=pool.stripe_invoice_id).count() == 1
    (charge,) = mine.filter(kind="charge")
    assert charge.source_ref.startswith("ch_")  # as finance reconciles Stripe's charges
    assert _balance(shop, AccountKind.UNIT_RECEIVABLE) == 50000  # only the first pool's, unpaid
    assert _balance(shop, AccountKind.UNIT_REVENUE) == -(80000 + 50000)


def test_a_card_checkout_nobody_pays_gives_the_seats_back(shop: Shop, eager_tasks: None) -> None:
    employer = _pool(shop, seats_n=1).employer
    contact = shop.world.client_for(employer.contacts.get().user, shop.tenant)
    offering = shop.offering(capacity=5, price_minor=40000)
    contact.post(
        f"/sponsor/employers/{employer.pk}/buy/", {"offering": offering.pk, "seats": "3", "pay": "card"}
    )
    pool = SeatPool.objects.get(offering=offering)
    offering.refresh_from_db()
    assert offering.seats_taken == 3
    for event in shop.new_events():
        shop.delivered.add(event["id"])
    shop.server.client().v1.checkout.sessions.expire(pool.checkout_session_id)
    _deliver(shop, "checkout.session.expired")
    pool.refresh_from_db()
    offering.refresh_from_db()
    assert pool.status == PoolStatus.VOID
    assert offering.seats_taken == 0


def test_when_stripe_cannot_make_the_invoice_the_contact_buys_nothing(shop: Shop) -> None:
    employer = _pool(shop, seats_n=1).employer
    contact = shop.world.client_for(employer.contacts.get().user, shop.tenant)
    offering = shop.offering(capacity=5, price_minor=40000)
    keys = TenantStripeSettings.objects.get(tenant=shop.tenant)
    TenantStripeSettings.objects.filter(pk=keys.pk).update(secret_key_encrypted="")
    page = contact.post(
        f"/sponsor/employers/{employer.pk}/buy/", {"offering": offering.pk, "seats": "2", "pay": "invoice"}
    )
    assert page.status_code == 400
    assert "nothing was bought" in page.content.decode()
    assert SeatPool.objects.get(offering=offering).status == PoolStatus.VOID
    offering.refresh_from_db()
    assert offering.seats_taken == 0


def test_a_sponsored_learners_data_download_and_deletion_cover_the_seat_and_consent(shop: Shop) -> None:
    pool = _pool(shop, seats_n=1)
    learner = UserFactory.create(email="dora@example.test")
    seats.seat_redeem(tenant=shop.tenant, learner=learner, code=_codes(pool)[0], share=True)
    data = shop.world.client_for(learner, shop.tenant).get("/me/data.json").json()
    (seat,) = data["sponsored_seats"]["seats"]
    assert seat["sponsor"] == "Acme Training"
    assert seat["shares_progress"] is True
    contact_user = pool.employer.contacts.get().user
    contact_data = shop.world.client_for(contact_user, shop.tenant).get("/me/data.json").json()
    assert contact_data["sponsored_seats"]["contact_for"] == [
        {"institution": shop.tenant.name, "employer": "Acme Training"}
    ]
    # Deleting the account (blocked while the seat is upcoming) runs each app's eraser; ours:
    sponsors_personal_data.erase(learner, "anon-0123456789ab")
    kept = PoolSeat.objects.get(pool=pool)
    assert kept.redeemed_at is not None  # the employer's invoice still counts it
    assert "dora" not in kept.email
    assert not kept.shares_progress

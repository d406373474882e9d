"""The sponsors console and portal pages: what staff, an employer's contact and a learner see."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from catalog.services import offering_seats_take
from enrollment.models import Enrollment, EnrollmentStatus
from payments import stripe_api
from payments.models import TenantStripeSettings
from sponsors.models import Employer, PoolSeat, PoolStatus, SeatPool
from sponsors.services import pools
from tenants.selectors import staff_access
from tests.payments.conftest import Shop
from tests.sponsors.test_pools import _deliver, _pool, _run


def _console(shop: Shop) -> Any:
    return shop.world.client_for(shop.world.a_admin, shop.tenant)


def test_staff_add_an_employer_and_send_a_pool_invoice_from_the_console(shop: Shop) -> None:
    console = _console(shop)
    assert "Sponsors" in console.get("/console/sponsors/").content.decode()
    made = console.post(
        "/console/sponsors/new/",
        {
            "organisation": "Acme Training",
            "billing_email": "billing@acme.test",
            "po_number": "PO-77",
            "contacts": "hr@acme.test\n",
        },
    )
    assert made.status_code == 302, made.content.decode()
    employer = Employer.objects.get()
    offering = shop.offering(capacity=10, price_minor=50000)
    page = console.post(
        f"/console/sponsors/{employer.pk}/",
        {"offering": offering.pk, "seats": "4", "unit_price": "450.00", "days_until_due": "14"},
        follow=True,
    ).content.decode()
    pool = SeatPool.objects.get()
    assert "4 seats reserved and the invoice sent to billing@acme.test." in page
    assert pool.status == PoolStatus.INVOICED
    assert pool.invoice_number in page
    assert "$1,800.00" in page
    assert "Invoiced" in page


def test_bad_pool_numbers_are_said_on_the_form_and_nothing_is_kept(shop: Shop) -> None:
    console = _console(shop)
    employer = Employer.objects.create(tenant=shop.tenant, organisation="Acme", billing_email="b@acme.test")
    offering = shop.offering(capacity=2, price_minor=50000)
    url = f"/console/sponsors/{employer.pk}/"
    too_many = console.post(url, {"offering": offering.pk, "seats": "3", "days_until_due": "30"})
    assert too_many.status_code == 400
    assert "Only 2 seats are left in this offering" in too_many.content.decode()
    bad_price = console.post(
        url, {"offering": offering.pk, "seats": "1", "unit_price": "abc", "days_until_due": "30"}
    )
    assert bad_price.status_code == 400
    assert "Enter an amount like 1250.00." in bad_price.content.decode()
    assert (
        console.post(url, {"offering": offering.pk, "seats": str(2**63), "days_until_due": "x"}).status_code
        == 400
    )
    assert not SeatPool.objects.exists()


def test_another_tenants_employer_is_a_404(shop: Shop) -> None:
    other = Employer.objects.create(
        tenant=shop.world.b, organisation="Beta Corp", billing_email="b@beta.test"
    )
    assert _console(shop).get(f"/console/sponsors/{other.pk}/").status_code == 404


def test_the_contact_sees_the_pool_downloads_codes_and_gets_a_row_report(shop: Shop) -> None:
    pool = _pool(shop, seats_n=2)
    contact = shop.world.client_for(pool.employer.contacts.get().user, shop.tenant)
    portal = contact.get("/sponsor/").content.decode()
    assert "Acme Training" in portal
    assert _run(pool).microcredential.title in portal
    codes = b"".join(contact.get(f"/sponsor/pools/{pool.pk}/codes.csv").streaming_content).decode()  # type: ignore[attr-defined]
    for seat in PoolSeat.objects.filter(pool=pool):
        assert f"{seat.code},http://alpha.test/sponsor/redeem/?code={seat.code}," in codes
    upload = SimpleUploadedFile("staff.csv", b"ana@example.test\nnope\nana@example.test\n", "text/csv")
    refused = contact.post(f"/sponsor/pools/{pool.pk}/enrol/", {"file": upload})
    page = refused.content.decode()
    assert refused.status_code == 400
    assert "Nobody was enrolled" in page
    assert "“nope” is not an e-mail address." in page
    assert "ana@example.test is also on row 1." in page
    assert not Enrollment.objects.exists()
    binary = SimpleUploadedFile("staff.csv", b"\xff\xfe\x00bad", "text/csv")
    assert contact.post(f"/sponsor/pools/{pool.pk}/enrol/", {"file": binary}).status_code == 400
    good = SimpleUploadedFile("staff.csv", b"email\nana@example.test\n", "text/csv")
    done = contact.post(f"/sponsor/pools/{pool.pk}/enrol/", {"file": good}, follow=True).content.decode()
    assert "1 person is enrolled and e-mailed." in done
    assert Enrollment.objects.get().status == EnrollmentStatus.CONFIRMED


def test_a_contact_of_employer_a_cannot_see_employer_bs_pool(shop: Shop) -> None:
    pool_a = _pool(shop, org="Acme Training")
    pool_b = _pool(shop, org="Bolt Logistics", offering=shop.offering(capacity=5, price_minor=50000))
    contact_a = shop.world.client_for(pool_a.employer.contacts.get().user, shop.tenant)
    portal = contact_a.get("/sponsor/").content.decode()
    assert "Bolt Logistics" not in portal
    assert contact_a.get(f"/sponsor/pools/{pool_b.pk}/codes.csv").status_code == 404
    assert contact_a.get(f"/sponsor/pools/{pool_b.pk}/enrol/").status_code == 404
    # Someone who is no employer's contact has no portal at all.
    assert shop.browser.get("/sponsor/").status_code == 404


def test_a_learner_confirms_a_seat_with_a_code_and_pays_nothing(shop: Shop) -> None:
    pool = _pool(shop)
    code = PoolSeat.objects.filter(pool=pool).order_by("pk").first().code  # type: ignore[union-attr]
    # The link in the codes' CSV opens the page with the code filled in.
    assert f'value="{code}"' in shop.browser.get(f"/sponsor/redeem/?code={code}").content.decode()
    wrong = shop.browser.post("/sponsor/redeem/", {"code": "NOPE"})
    assert wrong.status_code == 400
    assert "This code is not valid" in wrong.content.decode()
    page = shop.browser.post("/sponsor/redeem/", {"code": code}, follow=True).content.decode()
    assert "is confirmed: nothing to pay." in page
    assert Enrollment.objects.get(learner=shop.learner).status == EnrollmentStatus.CONFIRMED
    again = shop.browser.post("/sponsor/redeem/", {"code": code})
    assert "used already" in again.content.decode()
    enrollment = Enrollment.objects.get(learner=shop.learner)
    my = shop.browser.get("/my/learning/")
    assert my.status_code == 200
    assert _run(pool).microcredential.title in my.content.decode()
    assert shop.browser.get(f"/my/learning/{enrollment.pk}/cancel-paid/").status_code < 500
    cancel = shop.browser.post(f"/my/learning/{enrollment.pk}/cancel-paid/")
    assert cancel.status_code < 500
    roster = _console(shop).get(f"/console/offerings/{pool.offering_id}/roster/").content.decode()
    assert "Sponsored by Acme Training" in roster


@pytest.mark.parametrize("path", ["/sponsor/pools/999999/codes.csv", "/sponsor/pools/999999/enrol/"])
def test_unknown_pools_are_404(shop: Shop, path: str) -> None:
    assert shop.browser.get(path).status_code == 404


def test_staff_void_an_unpaid_pool_and_its_seats_come_back(shop: Shop, eager_tasks: None) -> None:
    pool = _pool(shop)
    console = _console(shop)
    page = console.post(f"/console/sponsors/{pool.employer_id}/pools/{pool.pk}/void/", follow=True)
    assert "The invoice is void" in page.content.decode()
    pool.refresh_from_db()
    _run(pool).refresh_from_db()
    assert pool.status == PoolStatus.VOID
    assert _run(pool).seats_taken == 0
    assert stripe_api.invoice_retrieve(tenant=shop.tenant, invoice_id=pool.stripe_invoice_id).status == "void"
    # The webhook arriving afterwards changes nothing; voiding again is refused in words.
    _deliver(shop, "invoice.voided")
    _run(pool).refresh_from_db()
    assert _run(pool).seats_taken == 0
    again = console.post(f"/console/sponsors/{pool.employer_id}/pools/{pool.pk}/void/", follow=True)
    assert "Only an unpaid, invoiced pool can be voided: this one is void." in again.content.decode()


def test_staff_add_a_contact_who_then_has_the_portal(shop: Shop) -> None:
    employer = Employer.objects.create(tenant=shop.tenant, organisation="Acme", billing_email="b@acme.test")
    console = _console(shop)
    bad = console.post(f"/console/sponsors/{employer.pk}/contacts/", {"email": "nope"}, follow=True)
    assert "Enter a valid e-mail address." in bad.content.decode()
    assert not employer.contacts.exists()
    added = console.post(
        f"/console/sponsors/{employer.pk}/contacts/", {"email": shop.learner.email}, follow=True
    )
    assert f"{shop.learner.email} can now sign in and hand out Acme&#x27;s seats." in added.content.decode()
    assert shop.browser.get("/sponsor/").status_code == 200
    other = Employer.objects.create(tenant=shop.world.b, organisation="Beta", billing_email="b@beta.test")
    assert console.post(f"/console/sponsors/{other.pk}/contacts/", {"email": "x@y.test"}).status_code == 404


def test_a_pool_whose_invoice_failed_stays_a_draft_and_can_be_sent_or_voided(shop: Shop) -> None:
    console = _console(shop)
    employer = Employer.objects.create(tenant=shop.tenant, organisation="Acme", billing_email="b@acme.test")
    offering = shop.offering(capacity=5, price_minor=50000)
    keys = TenantStripeSettings.objects.get(tenant=shop.tenant)
    TenantStripeSettings.objects.filter(pk=keys.pk).update(secret_key_encrypted="")
    page = console.post(
        f"/console/sponsors/{employer.pk}/",
        {"offering": offering.pk, "seats": "2", "days_until_due": "30"},
        follow=True,
    ).content.decode()
    pool = SeatPool.objects.get()
    assert "its Stripe keys are not set" in page
    assert "Send the invoice" in page
    assert pool.status == PoolStatus.DRAFT
    TenantStripeSettings.objects.filter(pk=keys.pk).update(secret_key_encrypted=keys.secret_key_encrypted)
    sent = console.post(
        f"/console/sponsors/{employer.pk}/pools/{pool.pk}/send/", follow=True
    ).content.decode()
    assert "The invoice is sent to b@acme.test." in sent
    pool.refresh_from_db()
    assert pool.status == PoolStatus.INVOICED

    other = SeatPool.objects.create(
        tenant=shop.tenant,
        employer=employer,
        offering=offering,
        microcredential=offering.microcredential,
        seats=1,
        unit_price_minor=50000,
        currency="USD",
    )
    PoolSeat.objects.create(tenant=shop.tenant, pool=other, code="DRAFTCODE234")
    assert offering_seats_take(tenant=shop.tenant, offering_id=offering.pk, count=1)
    console.post(f"/console/sponsors/{employer.pk}/pools/{other.pk}/void/")
    other.refresh_from_db()
    offering.refresh_from_db()
    assert other.status == PoolStatus.VOID
    assert offering.seats_taken == 2  # the invoiced pool's two; the draft's one is back


def test_a_pool_too_large_for_one_invoice_or_of_another_unit_is_refused(shop: Shop) -> None:
    console = _console(shop)
    unit_employer = Employer.objects.create(
        tenant=shop.tenant, organisation="Unit Co", billing_email="b@u.test", unit=shop.world.a_unit2
    )
    offering = shop.offering(capacity=5000, price_minor=99_999_99)
    access = staff_access(user=shop.world.a_admin, tenant=shop.tenant)
    with pytest.raises(Exception, match="buys seats of Alpha Business School only"):
        pools.pool_create(
            tenant=shop.tenant,
            access=access,
            actor=shop.world.a_admin,
            employer_id=unit_employer.pk,
            offering_id=offering.pk,
            seats=1,
        )
    employer = Employer.objects.create(tenant=shop.tenant, organisation="Big", billing_email="b@big.test")
    big = console.post(
        f"/console/sponsors/{employer.pk}/", {"offering": offering.pk, "seats": "200", "days_until_due": "30"}
    )
    assert big.status_code == 400
    assert "One invoice can be for at most $999,999.99" in big.content.decode()
    assert not SeatPool.objects.exists()


def test_the_pool_form_sent_twice_makes_one_pool_and_one_invoice(shop: Shop) -> None:
    console = _console(shop)
    employer = Employer.objects.create(tenant=shop.tenant, organisation="Acme", billing_email="b@acme.test")
    offering = shop.offering(capacity=10, price_minor=50000)
    url = f"/console/sponsors/{employer.pk}/"
    key = re.search(r'name="request_key" value="([0-9a-f]{32})"', console.get(url).content.decode())
    assert key is not None
    sent = {"offering": offering.pk, "seats": "4", "days_until_due": "30", "request_key": key.group(1)}

    first = console.post(url, sent)
    again = console.post(url, sent)

    assert first.status_code == again.status_code == 302
    pool = SeatPool.objects.get()
    assert pool.status == PoolStatus.INVOICED
    offering.refresh_from_db()
    assert offering.seats_taken == 4
    invoices = shop.server.client().v1.invoices.list(params={"customer": pool.employer.stripe_customer_id})
    assert [i.id for i in invoices.data] == [pool.stripe_invoice_id]
    # A fresh form (a new key) is a new pool.
    fresh = re.search(r'name="request_key" value="([0-9a-f]{32})"', console.get(url).content.decode())
    assert fresh is not None
    assert fresh.group(1) != key.group(1)

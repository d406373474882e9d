"""A pool of seats in any run of a microcredential: nothing is reserved when it is bought; each
learner takes a seat in the run they choose, while it has one, until the pool's year is over."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from catalog.models import Offering
from enrollment.models import Enrollment, EnrollmentStatus
from sponsors.models import Employer, PoolSeat, PoolStatus, SeatPool
from sponsors.services import agreement, learners
from tests.factories import UserFactory
from tests.payments.conftest import Shop


def _two_runs(shop: Shop) -> tuple[Offering, Offering]:
    first = shop.offering(capacity=1, price_minor=40000)
    second = shop.offering(
        capacity=10,
        price_minor=45000,
        microcredential=first.microcredential,
        starts_at=first.starts_at + timedelta(days=60),
        ends_at=first.ends_at + timedelta(days=60),
    )
    return first, second


def _any_run_pool(shop: Shop, first: Offering, seats: int = 3) -> SeatPool:
    console = shop.world.client_for(shop.world.a_admin, shop.tenant)
    made = console.post(
        "/console/sponsors/new/",
        {"organisation": "Acme Training", "billing_email": "billing@acme.test", "contacts": "hr@acme.test"},
    )
    assert made.status_code == 302
    employer = Employer.objects.get(organisation="Acme Training")
    form = console.get(f"/console/sponsors/{employer.pk}/").content.decode()
    assert f'value="any-{first.microcredential_id}"' in form
    sent = console.post(
        f"/console/sponsors/{employer.pk}/",
        {"offering": f"any-{first.microcredential_id}", "seats": str(seats), "days_until_due": "30"},
    )
    assert sent.status_code == 302
    return SeatPool.objects.get(employer=employer)


def _taken(*offerings: Offering) -> list[int]:
    return [Offering.objects.get(pk=o.pk).seats_taken for o in offerings]


def test_a_learner_takes_a_seat_of_any_run_in_the_run_they_choose(shop: Shop) -> None:
    first, second = _two_runs(shop)
    pool = _any_run_pool(shop, first)
    assert pool.offering is None
    assert pool.status == PoolStatus.INVOICED
    assert pool.unit_price_minor == 40000  # the next run's price
    assert pool.valid_until is not None
    assert pool.valid_until > timezone.now() + timedelta(days=360)
    assert _taken(first, second) == [0, 0]  # nothing reserved
    code = PoolSeat.objects.filter(pool=pool).order_by("pk").values_list("code", flat=True)[0]
    page = shop.browser.get(f"/sponsor/redeem/?code={code}").content.decode()
    assert f'<option value="{first.pk}"' in page
    assert f'<option value="{second.pk}"' in page
    no_run = shop.browser.post("/sponsor/redeem/", {"code": code})
    assert no_run.status_code == 400  # the form asks for the run; nothing changed
    assert "This field is required." in no_run.content.decode()
    assert not Enrollment.objects.exists()
    done = shop.browser.post("/sponsor/redeem/", {"code": code, "run": second.pk}, follow=True)
    assert "is confirmed: nothing to pay." in done.content.decode()
    enrollment = Enrollment.objects.get(learner=shop.learner)
    assert enrollment.offering_id == second.pk
    assert enrollment.status == EnrollmentStatus.CONFIRMED
    assert _taken(first, second) == [0, 1]
    # A run of another microcredential is not a choice.
    other = shop.offering(capacity=5, price_minor=40000)
    code2 = PoolSeat.objects.filter(pool=pool, redeemed_at__isnull=True).values_list("code", flat=True)[0]
    colleague = shop.world.client_for(UserFactory.create(), shop.tenant)
    assert colleague.post("/sponsor/redeem/", {"code": code2, "run": other.pk}).status_code == 400
    assert _taken(other) == [0]


def test_a_full_run_is_refused_and_the_code_still_works_in_another(shop: Shop) -> None:
    first, second = _two_runs(shop)
    pool = _any_run_pool(shop, first)
    shop.hold(first, learner=UserFactory.create())  # the first run's one seat is gone
    code = PoolSeat.objects.filter(pool=pool).values_list("code", flat=True)[0]
    full = shop.browser.post("/sponsor/redeem/", {"code": code, "run": first.pk})
    assert full.status_code == 400
    assert "This run is full: choose another." in full.content.decode()
    assert not Enrollment.objects.filter(learner=shop.learner).exists()
    assert shop.browser.post("/sponsor/redeem/", {"code": code, "run": second.pk}).status_code == 302
    assert Enrollment.objects.get(learner=shop.learner).offering_id == second.pk


def test_the_contact_enrols_a_csv_into_a_chosen_run_and_a_given_back_seat_frees_in_the_run(
    shop: Shop, eager_tasks: None, django_capture_on_commit_callbacks: Any
) -> None:
    first, second = _two_runs(shop)
    pool = _any_run_pool(shop, first, seats=2)
    contact = shop.world.client_for(pool.employer.contacts.get().user, shop.tenant)
    form = contact.get(f"/sponsor/pools/{pool.pk}/enrol/").content.decode()
    assert f'<option value="{second.pk}"' in form
    no_run = contact.post(
        f"/sponsor/pools/{pool.pk}/enrol/", {"file": SimpleUploadedFile("a.csv", b"ana@example.test\n")}
    )
    assert no_run.status_code == 400
    assert not Enrollment.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        done = contact.post(
            f"/sponsor/pools/{pool.pk}/enrol/",
            {"file": SimpleUploadedFile("a.csv", b"ana@example.test\n"), "run": second.pk},
        )
    assert done.status_code == 302
    ana = Enrollment.objects.get(learner__email="ana@example.test")
    assert ana.offering_id == second.pk
    assert _taken(first, second) == [0, 1]
    learners.seat_give_back(tenant=shop.tenant, learner=ana.learner, enrollment_id=ana.pk)
    assert _taken(first, second) == [0, 0]  # the run's seat is free again: nothing held it for the pool
    assert PoolSeat.objects.filter(pool=pool, redeemed_at__isnull=True).count() == 2


def test_a_pool_of_any_run_ends_after_its_year(shop: Shop, eager_tasks: None) -> None:
    first, second = _two_runs(shop)
    pool = _any_run_pool(shop, first, seats=2)
    assert pool.valid_until is not None
    assert agreement.pool_end(pool_id=pool.pk, now=second.starts_at + timedelta(days=1)) is None
    assert pool.pk in agreement.pools_to_end(now=pool.valid_until + timedelta(minutes=1))
    ended = agreement.pool_end(pool_id=pool.pk, now=pool.valid_until + timedelta(minutes=1))
    assert ended is not None
    assert PoolSeat.objects.filter(pool=pool, expired_at__isnull=False).count() == 2
    assert _taken(first, second) == [0, 0]  # nothing was reserved, nothing is given back


def test_a_contact_buys_seats_of_any_run_at_the_next_runs_price(shop: Shop) -> None:
    first, _second = _two_runs(shop)
    admin_pool = _any_run_pool(shop, first, seats=1)
    contact = shop.world.client_for(admin_pool.employer.contacts.get().user, shop.tenant)
    url = f"/sponsor/employers/{admin_pool.employer_id}/buy/"
    assert f"any-{first.microcredential_id}" in contact.get(url).content.decode()
    bought = contact.post(
        url, {"offering": f"any-{first.microcredential_id}", "seats": "5", "pay": "invoice"}
    )
    assert bought.status_code == 302
    pool = SeatPool.objects.filter(employer=admin_pool.employer).exclude(pk=admin_pool.pk).get()
    assert pool.offering is None
    assert pool.total_minor == 5 * 40000
    assert pool.status == PoolStatus.INVOICED
    assert contact.post(url, {"offering": "any-999999", "seats": "1", "pay": "invoice"}).status_code == 400

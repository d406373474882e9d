"""A stacked microcredential sold as a bundle: one order holding a seat in a chosen run of every
part, all or none; its saving split to the parts' units pro rata to their prices; a refund of one
part gives back that part's share of what was paid."""

from __future__ import annotations

import re
from typing import Any

import pytest

from catalog.models import Microcredential, Offering
from enrollment.models import Enrollment
from ledger.selectors import unit_figures
from payments.models import Order
from promotions.models import PromotionCode
from tests.catalog.factories import MicrocredentialFactory
from tests.payments.conftest import Shop


def _bundle(shop: Shop, *, full_second: bool = False) -> tuple[Microcredential, Offering, Offering]:
    world = shop.world
    first = shop.offering(price_minor=30000, microcredential__title="SQL Basics")
    second = shop.offering(
        price_minor=10000,
        microcredential__title="Dashboards",
        microcredential__unit=world.a_unit2,
        capacity=1,
    )
    if full_second:
        from tests.factories import UserFactory

        shop.hold(second, learner=UserFactory.create())
    whole = MicrocredentialFactory.create(
        tenant=shop.tenant,
        unit=world.a_unit1,
        title="Data Analyst Certificate",
        status="published",
        bundle_discount_percent=10,
    )
    whole.parts.set([first.microcredential, second.microcredential])
    return whole, first, second


def _hold(shop: Shop, whole: Microcredential, *runs: Offering) -> Any:
    return shop.browser.post(
        f"/bundles/{whole.pk}/", {f"part-{run.microcredential_id}": str(run.pk) for run in runs}
    )


def test_the_bundle_page_shows_parts_runs_and_saving(shop: Shop) -> None:
    whole, first, _second = _bundle(shop)
    page = shop.browser.get(f"/bundles/{whole.pk}/").content.decode()
    assert "Bundle: Data Analyst Certificate" in page
    assert "SQL Basics" in page
    assert "Dashboards" in page
    assert "$400.00" in page  # apart
    assert "$360.00" in page  # together
    assert "$40.00" in page  # saved
    offering_page = shop.browser.get(f"/offerings/{first.pk}/").content.decode()
    assert f"/bundles/{whole.pk}/" in offering_page


def test_a_bundle_is_held_paid_and_split_to_the_parts_units(shop: Shop, eager_tasks: None) -> None:
    world = shop.world
    whole, first, second = _bundle(shop)
    response = _hold(shop, whole, first, second)
    assert response.status_code == 302
    review = shop.browser.get(response["Location"]).content.decode()
    assert re.search(r'id="order-total">\$360.00<', review)
    assert "less $30.00 as part of the bundle" in review
    assert "less $10.00 as part of the bundle" in review
    ids = re.findall(r'name="enrollment" value="(\d+)"', review)
    paid = shop.browser.post(
        "/orders/checkout/", {"enrollment": ids, "bundle": str(whole.pk), "action": "pay"}
    )
    assert paid.status_code == 302
    order = Order.objects.get()
    assert order.bundle == whole
    assert (order.amount_minor, order.discount_minor) == (36000, 4000)
    shop.pay(order)
    shop.deliver()
    figures = {f.unit_id: (f.gross, f.discounts, f.paid) for f in unit_figures(tenant=shop.tenant)}
    assert figures[world.a_unit1.pk] == (30000, 3000, 27000)
    assert figures[world.a_unit2.pk] == (10000, 1000, 9000)

    from tests.refunds.helpers import request

    line = order.lines.get(unit=world.a_unit2)
    assert request(shop, line, line.amount_minor).amount_minor == 9000


def test_a_bundle_with_one_full_part_holds_nothing_and_says_which(shop: Shop) -> None:
    whole, first, second = _bundle(shop, full_second=True)
    response = _hold(shop, whole, first, second)
    assert response.status_code == 409
    assert "Nothing was held: “Dashboards” is full" in response.content.decode()
    assert not Enrollment.objects.filter(learner=shop.learner).exists()
    first.refresh_from_db()
    assert first.seats_taken == 0


def test_a_bundles_seats_are_paid_for_together_at_its_price_only(shop: Shop) -> None:
    whole, first, second = _bundle(shop)
    PromotionCode.objects.create(tenant=shop.tenant, code="EXTRA", kind="percent", percent_off=50)
    response = _hold(shop, whole, first, second)
    ids = re.findall(r"enrollment=(\d+)", response["Location"])
    with_code = shop.browser.post(
        "/orders/checkout/", {"enrollment": ids, "bundle": str(whole.pk), "code": "EXTRA", "action": "apply"}
    )
    assert with_code.status_code == 400
    assert "cannot be combined with a bundle" in with_code.content.decode()
    one_part = shop.browser.post(
        "/orders/checkout/", {"enrollment": ids[:1], "bundle": str(whole.pk), "action": "pay"}
    )
    assert one_part.status_code == 302  # back to My learning, with the reason
    assert not Order.objects.exists()


@pytest.mark.parametrize("value", ["999999", "abc", "9" * 30])
def test_a_bundle_that_is_not_for_sale_is_a_404(shop: Shop, value: str) -> None:
    assert shop.browser.get(f"/orders/checkout/?bundle={value}").status_code == 404
    whole, _first, _second = _bundle(shop)
    whole.bundle_discount_percent = None
    whole.save()
    assert shop.browser.get(f"/bundles/{whole.pk}/").status_code == 404


def test_choosing_a_run_of_another_course_changes_nothing(shop: Shop) -> None:
    whole, first, second = _bundle(shop)
    stranger = shop.offering(price_minor=5000)
    response = shop.browser.post(
        f"/bundles/{whole.pk}/",
        {f"part-{first.microcredential_id}": str(stranger.pk), f"part-{second.microcredential_id}": "x"},
    )
    assert response.status_code == 409
    assert not Enrollment.objects.exists()

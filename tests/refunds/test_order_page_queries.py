"""The order page (and the receipt, which shares its context) reads an order's lines, their
units, seats and refunds in a fixed number of queries, however many lines and refunds."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.models import Offering
from payments.models import OrderLine
from tests.payments.conftest import Shop
from tests.refunds.helpers import paid_order, request


def _queries(shop: Shop, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert shop.browser.get(path).status_code == 200
    return len(captured)


def test_more_lines_and_refunds_cost_no_more_queries(shop: Shop, eager_tasks: None) -> None:
    small = paid_order(shop, 10000)
    request(shop, small.lines.get(), 1000)
    big = paid_order(shop, 10000, 20000, 30000)
    for line in big.lines.all():
        request(shop, line, 1000)
        request(shop, line, 500)

    for page in ("/orders/{}/", "/orders/{}/receipt/"):
        one = _queries(shop, page.format(small.reference))
        three = _queries(shop, page.format(big.reference))
        assert three == one, page
    assert shop.browser.get(f"/orders/{big.reference}/").content.decode().count("Refunded: $") == 6


def _paid_learners(shop: Shop, offering: Offering, count: int, first: int = 0) -> list[OrderLine]:
    from tests.factories import UserFactory

    lines = []
    for n in range(first, first + count):
        learner = UserFactory.create(email=f"payer{n}@example.com")
        shop.learner = learner
        shop.browser = shop.world.client_for(learner, shop.tenant)
        enrollment = shop.hold(offering, learner=learner)
        shop.checkout(enrollment)
        order = shop.order_of(enrollment)
        shop.pay(order)
        shop.deliver()
        lines.append(order.lines.get())
    return lines


def test_the_refunds_console_costs_no_more_queries_with_more_learners(shop: Shop, eager_tasks: None) -> None:
    one, many = shop.offering(capacity=5), shop.offering(capacity=5)
    for line in _paid_learners(shop, one, 1) + _paid_learners(shop, many, 4, first=1):
        request(shop, line, 1000)
    admin = shop.world.client_for(shop.world.a_unit1_admin, shop.tenant)

    counts = []
    for offering in (one, many):
        with CaptureQueriesContext(connection) as captured:
            page = admin.get(f"/console/offerings/{offering.pk}/refunds/")
        assert page.status_code == 200
        counts.append(len(captured))
    assert counts[1] == counts[0]
    assert page.content.decode().count("payer") >= 4

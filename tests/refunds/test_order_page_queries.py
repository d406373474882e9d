"""The order page (and the receipt, which shares its context) reads an order's lines, their
units, seats and refunds in a fixed number of queries, however many lines and refunds."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

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

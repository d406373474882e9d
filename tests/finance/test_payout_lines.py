"""A payout's lines say who bought what: beside each Stripe id, the learner's e-mail, the order's
reference, the offering (title and cohort) and its unit; Stripe's own lines say what they are.
On the page and in its CSV, in a fixed number of queries however many lines."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from enrollment.models import Enrollment, EnrollmentStatus
from finance.models import BalanceTransaction, Payout
from finance.services.sync import stripe_sync
from ledger.models import TransactionKind
from ledger.services import ChargeLine, charge_lines, ledger_post, refund_lines
from payments.models import Order, OrderLine, OrderStatus, Refund, RefundRequester, RefundState
from tests.catalog.factories import OfferingFactory
from tests.factories import UserFactory
from tests.payments import conftest as payments
from tests.payments.conftest import Shop
from tests.refunds.helpers import request

pytestmark = pytest.mark.django_db(transaction=True)
shop = payments.shop
stripe_server = payments.stripe_server
eager_tasks = payments.eager_tasks
DAY = 86_400


def rows_of(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8")
    return list(csv.reader(io.StringIO(body.removeprefix("\ufeff"))))


def row_of(page: str, source: str) -> str:
    """The first table row of the page naming `source`."""
    return next(row for row in page.split("<tr>") if source in row)


def by_source(rows: list[list[str]]) -> dict[tuple[str, str], dict[str, str]]:
    """(source, unit) → the row as {column: value}."""
    header = rows[0]
    return {(row[5], row[1]): dict(zip(header, row, strict=True)) for row in rows[1:]}


def test_finance_sees_who_bought_what_in_each_payout_line(shop: Shop, eager_tasks: None) -> None:
    world = shop.world
    data = shop.offering(
        price_minor=40000, microcredential__title="Data Literacy", cohort_label="Spring evening cohort"
    )
    strategy = shop.offering(
        price_minor=60000,
        microcredential__unit=world.a_unit2,
        microcredential__title="Strategy Sprint",
        cohort_label="",
    )
    held = [shop.hold(data), shop.hold(strategy)]
    shop.checkout(*held)
    order = shop.order_of(held[0])
    shop.pay(order)
    shop.deliver()
    order.refresh_from_db()
    refund = request(shop, order.lines.get(unit=world.a_unit1), 5000)
    control = shop.server.control
    control.advance_clock(2 * DAY + 1)
    payout = control.trigger_payout("usd")["id"]
    control.advance_clock(DAY + 1)
    stripe_sync(tenant=world.a, client=shop.server.client(), trigger="test")

    finance = world.client_for(world.a_finance_all, world.a)
    page = finance.get(f"/console/finance/payouts/{payout}/").content.decode()
    continuing_ed = page.split('id="unit-continuing-ed"')[1]
    charge_row = row_of(continuing_ed, order.charge_id)
    refund_row = row_of(continuing_ed, refund.stripe_refund_id)
    for text in ("Payment", order.reference, order.email, "Data Literacy — Spring evening cohort"):
        assert text in charge_row
    for text in ("Refund", order.reference, order.email, "Data Literacy — Spring evening cohort"):
        assert text in refund_row
    assert "Alpha Continuing Ed" in refund_row
    assert "Strategy Sprint" in row_of(page.split('id="unit-business"')[1], order.charge_id)

    rows = by_source(rows_of(finance.get(f"/console/finance/payouts/{payout}/items.csv")))
    charge_ce = rows[(order.charge_id, "continuing-ed")]
    assert (charge_ce["what"], charge_ce["order"], charge_ce["learner_email"]) == (
        "Payment",
        order.reference,
        order.email,
    )
    assert (charge_ce["offering"], charge_ce["order_unit"]) == (
        "Data Literacy — Spring evening cohort",
        "Alpha Continuing Ed",
    )
    charge_bs = rows[(order.charge_id, "business")]
    assert (charge_bs["offering"], charge_bs["order_unit"]) == ("Strategy Sprint", "Alpha Business School")
    refunded = rows[(refund.stripe_refund_id, "continuing-ed")]
    assert (refunded["what"], refunded["order"], refunded["learner_email"], refunded["offering"]) == (
        "Refund",
        order.reference,
        order.email,
        "Data Literacy — Spring evening cohort",
    )

    # Finance of the business school sees its own line of the order, not the other unit's.
    unit2 = world.client_for(world.a_finance_unit2, world.a)
    page = unit2.get(f"/console/finance/payouts/{payout}/").content.decode()
    assert "Strategy Sprint" in page
    assert order.email in page
    assert "Data Literacy" not in page
    csv_text = str(rows_of(unit2.get(f"/console/finance/payouts/{payout}/items.csv")))
    assert "Strategy Sprint" in csv_text
    assert "Data Literacy" not in csv_text


WHEN = datetime(2026, 3, 2, 15, tzinfo=UTC)


def _payout_of(world, payout_id: str, sales: int) -> None:
    """A payout of `sales` paid orders (one a learner, each posted to the ledger), a refund on
    the first and an adjustment by Stripe: rows as payments and the import write them."""
    unit = world.a_unit1
    offering = OfferingFactory.create(
        microcredential__unit=unit, microcredential__title="Cloud Basics", cohort_label="Cohort 7"
    )
    net = 0

    def bt(stripe_id: str, kind: str, source: str, amount: int, fee: int = 0) -> None:
        nonlocal net
        net += amount - fee
        BalanceTransaction.objects.create(
            tenant=world.a,
            stripe_id=stripe_id,
            type=kind,
            source_id=source,
            amount=amount,
            fee=fee,
            net=amount - fee,
            currency="USD",
            created=WHEN,
            available_on=WHEN,
            payout_stripe_id=payout_id,
        )

    for n in range(sales):
        learner = UserFactory.create(email=f"buyer-{payout_id}-{n}@example.org")
        enrollment = Enrollment.objects.create(
            tenant=world.a, offering=offering, learner=learner, status=EnrollmentStatus.CONFIRMED
        )
        order = Order.objects.create(
            tenant=world.a,
            learner=learner,
            reference=f"{payout_id}-{n:03d}",
            email=learner.email,
            currency="USD",
            amount_minor=10_000,
            status=OrderStatus.PAID,
            checkout_expires_at=WHEN,
            charge_id=f"ch_{payout_id}_{n}",
        )
        line = OrderLine.objects.create(
            order=order,
            tenant=world.a,
            offering=offering,
            enrollment=enrollment,
            unit=unit,
            amount_minor=10_000,
            list_amount_minor=10_000,
            currency="USD",
            description=str(offering),
        )
        bt(f"txn_{payout_id}_{n}", "charge", order.charge_id, 10_000, 320)
        ledger_post(
            tenant=world.a,
            kind=TransactionKind.CHARGE,
            source_ref=order.charge_id,
            currency="USD",
            lines=charge_lines(lines=[ChargeLine(unit.pk, 10_000, line.line_ref)], fee=320),
            occurred_at=WHEN,
            order_ref=order.reference,
        )
        if n == 0:
            refund = Refund.objects.create(
                tenant=world.a,
                line=line,
                amount_minor=1_000,
                currency="USD",
                reason="Asked by phone",
                requested_by_kind=RefundRequester.STAFF,
                state=RefundState.SUCCEEDED,
                stripe_refund_id=f"re_{payout_id}",
            )
            bt(f"txn_{payout_id}_re", "refund", refund.stripe_refund_id, -1_000)
            ledger_post(
                tenant=world.a,
                kind=TransactionKind.REFUND,
                source_ref=refund.stripe_refund_id,
                currency="USD",
                lines=refund_lines(unit_id=unit.pk, amount=1_000),
                occurred_at=WHEN,
                order_ref=order.reference,
            )
    bt(f"txn_{payout_id}_adj", "adjustment", f"adj_{payout_id}", -150)
    Payout.objects.create(
        tenant=world.a,
        stripe_id=payout_id,
        amount=net,
        currency="USD",
        status="paid",
        created=WHEN,
        arrival_date=WHEN,
    )


def _queries(client, path: str) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as captured:
        answer = client.get(path)
        assert answer.status_code == 200
        body = (b"".join(answer.streaming_content) if answer.streaming else answer.content).decode()
    return len(captured), body


def test_fifty_lines_cost_no_more_queries_than_five(world) -> None:
    _payout_of(world, "po_small", 5)
    _payout_of(world, "po_large", 50)
    client = world.client_for(world.a_finance_all, world.a)
    client.get("/console/finance/")  # the first request of a session reads what later ones cache
    for path in ("/console/finance/payouts/{}/", "/console/finance/payouts/{}/items.csv"):
        small, _ = _queries(client, path.format("po_small"))
        large, body = _queries(client, path.format("po_large"))
        assert large == small, path
        assert body.count("@example.org") == 51  # 50 payments and the refund, each with its e-mail
        assert body.count("Cloud Basics — Cohort 7") == 51
        assert "po_large-049" in body
        assert "Adjustment by Stripe" in body

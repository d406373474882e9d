"""Promotion codes and fee waivers, as the learner and finance see them: the price on the review
page, the amount Stripe is asked for, the receipt, the ledger per unit, refunds of what was paid,
clear reasons for a code that cannot be used, and caps that hold under concurrent redemption."""

from __future__ import annotations

import re
import threading
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from ledger.models import LedgerTransaction
from ledger.selectors import unit_figures
from payments.models import Order, OrderStatus
from payments.services import waivers
from promotions.models import DiscountKind, PromotionCode
from tenants.selectors import staff_access
from tests.factories import UserFactory
from tests.payments.conftest import Shop


def _code(shop: Shop, code: str = "SPRING20", **fields: Any) -> PromotionCode:
    defaults: dict[str, Any] = {"kind": DiscountKind.PERCENT, "percent_off": 20, "unit": shop.world.a_unit1}
    return PromotionCode.objects.create(tenant=shop.tenant, code=code, **{**defaults, **fields})


def _review(shop: Shop, *enrollments: Any, code: str = "", client: Any = None) -> Any:
    return (client or shop.browser).post(
        "/orders/checkout/", {"enrollment": [e.pk for e in enrollments], "code": code, "action": "apply"}
    )


def _pay(shop: Shop, *enrollments: Any, code: str = "", client: Any = None) -> Any:
    return (client or shop.browser).post(
        "/orders/checkout/", {"enrollment": [e.pk for e in enrollments], "code": code, "action": "pay"}
    )


def _figures(shop: Shop) -> dict[str, tuple[int, int, int, int]]:
    """(list price sold, discounts, waived, paid) per unit slug, from the ledger."""
    slugs = {shop.world.a_unit1.pk: "ce", shop.world.a_unit2.pk: "biz"}
    return {
        slugs[f.unit_id]: (f.gross, f.discounts, f.waived, f.paid)
        for f in unit_figures(tenant=shop.tenant, currency="USD")
    }


def test_a_percentage_code_lowers_the_price_shown_charged_receipted_and_booked(
    shop: Shop, eager_tasks: None
) -> None:
    _code(shop)
    held = shop.hold(shop.offering(price_minor=125000))

    review = shop.browser.get(f"/orders/checkout/held/{held.pk}/").content.decode()
    assert "$1,250.00" in review
    assert "Promotion code" in review
    applied = _review(shop, held, code=" spring20 ")
    page = applied.content.decode()
    assert applied.status_code == 200
    assert "List price $1,250.00, less $250.00 with code SPRING20" in page
    assert re.search(r'id="order-total">\$1,000.00<', page)
    assert "Pay $1,000.00" in page
    assert not Order.objects.exists()  # applying a code changes nothing yet

    response = _pay(shop, held, code="spring20")
    order = shop.order_of(held)
    assert response.status_code == 302
    assert response["Location"] == order.checkout_url
    session = shop.server.client().v1.checkout.sessions.retrieve(order.checkout_session_id)
    assert session.amount_total == 100000
    assert order.promotion_code is not None
    assert (order.amount_minor, order.discount_minor, order.promotion_code.code) == (
        100000,
        25000,
        "SPRING20",
    )

    shop.pay(order)
    shop.deliver()
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    receipt = shop.browser.get(f"/orders/{order.reference}/receipt/").content.decode()
    assert "List price $1,250.00, less $250.00 with code SPRING20" in receipt
    assert "$1,000.00" in receipt
    (sent,) = [m for m in mail.outbox if "receipt" in m.subject.lower()]
    assert "You save: $250.00" in sent.body
    # The unit sold at list price and gave 250.00 of it; learners paid 1,000.00.
    assert _figures(shop)["ce"] == (125000, 25000, 0, 100000)
    kinds = set(LedgerTransaction.objects.filter(order_ref=order.reference).values_list("kind", flat=True))
    assert kinds == {"charge", "discount"}


def test_a_fixed_amount_splits_across_units_by_list_price_and_a_refund_gives_back_what_was_paid(
    shop: Shop, eager_tasks: None
) -> None:
    world = shop.world
    _code(
        shop,
        "WELCOME",
        kind=DiscountKind.AMOUNT,
        percent_off=None,
        amount_off_minor=10000,
        unit=None,
        currency="USD",
    )
    one = shop.hold(shop.offering(price_minor=30000))
    two = shop.hold(shop.offering(price_minor=10000, microcredential__unit=world.a_unit2))
    _pay(shop, one, two, code="WELCOME")
    order = shop.order_of(one)
    lines = {line.unit_id: line for line in order.lines.all()}
    # 100.00 off 300.00 + 100.00: 75.00 and 25.00, pro rata.
    assert (lines[world.a_unit1.pk].discount_minor, lines[world.a_unit2.pk].discount_minor) == (7500, 2500)
    assert order.amount_minor == 30000
    shop.pay(order)
    shop.deliver()
    assert _figures(shop) == {"ce": (30000, 7500, 0, 22500), "biz": (10000, 2500, 0, 7500)}

    from tests.refunds.helpers import request

    line = lines[world.a_unit1.pk]
    line.refresh_from_db()
    refund = request(shop, line, line.amount_minor)
    assert refund.amount_minor == 22500  # what was paid, never the list price
    from payments.errors import RefundRefused

    with pytest.raises(RefundRefused):
        request(shop, line, 1)


@pytest.mark.parametrize(
    ("fields", "typed", "reason"),
    [
        ({}, "SPRNG20", "There is no promotion code “SPRNG20”"),
        ({"valid_until": timezone.now() - timedelta(days=1)}, "SPRING20", "has expired"),
        ({"valid_from": timezone.now() + timedelta(days=1)}, "SPRING20", "cannot be used yet"),
        ({"is_active": False}, "SPRING20", "has been withdrawn"),
        ({"unit": None}, "SPRING20", None),  # tenant-wide: applies
        ({"max_uses": 0}, "SPRING20", "has been used up"),
    ],
)
def test_a_code_that_cannot_be_used_says_why_and_changes_nothing(
    shop: Shop, fields: dict[str, Any], typed: str, reason: str | None
) -> None:
    _code(shop, **fields)
    held = shop.hold(shop.offering(price_minor=50000))
    for answer in (_review(shop, held, code=typed), _pay(shop, held, code=typed)):
        page = answer.content.decode()
        if reason is None:
            assert answer.status_code in (200, 302)
            continue
        assert answer.status_code == 400
        assert reason in page
        assert 'value="' + typed + '"' in page  # what was typed stays in the field
        assert "Pay $500.00" in page  # the full price, no code
    if reason is not None:
        assert not Order.objects.exists()


def test_a_code_for_another_unit_or_offering_does_not_apply(shop: Shop) -> None:
    other = shop.offering(price_minor=50000)
    _code(shop, "BIZONLY", unit=shop.world.a_unit2)
    scoped = _code(shop, "ONERUN")
    scoped.offerings.set([other])
    held = shop.hold(shop.offering(price_minor=50000))
    for typed in ("BIZONLY", "ONERUN"):
        answer = _review(shop, held, code=typed)
        assert answer.status_code == 400
        assert "does not apply to what you are paying for" in answer.content.decode()


def test_each_learner_uses_a_code_as_often_as_it_allows(shop: Shop) -> None:
    _code(shop, max_uses_per_learner=1)
    first = shop.hold(shop.offering(price_minor=50000))
    second = shop.hold(shop.offering(price_minor=50000))
    assert _pay(shop, first, code="SPRING20").status_code == 302
    answer = _pay(shop, second, code="SPRING20")
    assert answer.status_code == 400
    assert "You have already used the code “SPRING20” as often as it allows." in answer.content.decode()
    # Paying again for the same seat with the same code reuses its order: not a second use.
    assert _pay(shop, first, code="SPRING20").status_code == 302
    assert Order.objects.filter(promotion_code__code="SPRING20").count() == 1


@pytest.mark.django_db(transaction=True)
def test_learners_racing_for_a_codes_last_use_one_gets_it(shop: Shop, eager_tasks: None) -> None:
    """Eight learners, each on their own connection, press Pay with the code's last use at once."""
    _code(shop, "LASTONE", max_uses=1, percent_off=50)
    offering = shop.offering(price_minor=40000, capacity=20)
    racers = []
    for n in range(8):
        learner = UserFactory.create(email=f"racer{n}@example.test")
        racers.append((learner, shop.hold(offering, learner=learner)))
    barrier = threading.Barrier(len(racers))
    answers: list[int] = []
    guard = threading.Lock()

    def race(learner: Any, held: Any) -> None:
        client = shop.world.client_for(learner, shop.tenant)
        try:
            barrier.wait(20)
            answer = _pay(shop, held, code="LASTONE", client=client)
            with guard:
                answers.append(answer.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=race, args=racer) for racer in racers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert sorted(answers) == [302] + [400] * 7
    assert Order.objects.filter(promotion_code__code="LASTONE").count() == 1


def test_a_full_waiver_code_confirms_the_seat_without_checkout_and_tells_the_learner_once(
    shop: Shop, eager_tasks: None
) -> None:
    _code(shop, "SCHOLAR", percent_off=100, waives_fee=True, description="Widening participation scholarship")
    held = shop.hold(shop.offering(price_minor=125000))
    review = _review(shop, held, code="scholar").content.decode()
    assert "Confirm my seat" in review
    assert "$0.00" in review

    with shop.capture(execute=True):
        response = _pay(shop, held, code="SCHOLAR")
    order = shop.order_of(held)
    assert response.status_code == 302
    assert response["Location"] == f"/orders/{order.reference}/"
    held.refresh_from_db()
    assert held.status == "confirmed"
    assert not order.checkout_session_id  # never went to Stripe
    assert order.waiver_reason == "Fee waiver: Widening participation scholarship (code SCHOLAR)"
    page = shop.browser.get(response["Location"]).content.decode()
    assert "Fee waived: you are enrolled" in page
    sent = [m for m in mail.outbox if m.to == [shop.learner.email] and "receipt" in m.subject.lower()]
    assert len(sent) == 1
    assert "has waived your fee (Fee waiver: Widening participation scholarship" in sent[0].body
    assert _figures(shop)["ce"] == (125000, 125000, 125000, 0)
    assert LedgerTransaction.objects.get(order_ref=order.reference).kind == "waiver"
    # Pressing again (a double submit) confirms nothing twice.
    with shop.capture(execute=True):
        _pay(shop, held, code="SCHOLAR")
    assert Order.objects.filter(status=OrderStatus.PAID).count() == 1
    assert len([m for m in mail.outbox if "receipt" in m.subject.lower()]) == 1


def test_staff_waive_a_held_seat_with_a_reason_and_finance_sees_it(shop: Shop, eager_tasks: None) -> None:
    world = shop.world
    held = shop.hold(shop.offering(price_minor=80000))
    access = staff_access(tenant=shop.tenant, user=world.a_unit1_admin)
    with shop.capture(execute=True):
        order = waivers.staff_waive(
            tenant=shop.tenant,
            access=access,
            actor=world.a_unit1_admin,
            enrollment_id=held.pk,
            reason="  Staff  bursary ",
        )
    held.refresh_from_db()
    assert held.status == "confirmed"
    order.refresh_from_db()
    assert (order.amount_minor, order.discount_minor, order.waiver_reason) == (0, 80000, "Staff bursary")
    assert order.waived_by == world.a_unit1_admin
    assert _figures(shop)["ce"] == (80000, 80000, 80000, 0)
    subjects = sorted(str(m.subject) for m in mail.outbox if m.to == [shop.learner.email])
    assert [re.sub(r"MC-\w+|: .*$", "", s) for s in subjects] == [
        "[Alpha Continuing Ed] You are enrolled",
        "[Alpha Continuing Ed] Your receipt for order ",
    ]


def test_staff_of_another_unit_cannot_waive(shop: Shop) -> None:
    from tenants.errors import NotVisible

    world = shop.world
    held = shop.hold(shop.offering(price_minor=80000, microcredential__unit=world.a_unit2))
    access = staff_access(tenant=shop.tenant, user=world.a_unit1_admin)
    with pytest.raises(NotVisible):
        waivers.staff_waive(
            tenant=shop.tenant, access=access, actor=world.a_unit1_admin, enrollment_id=held.pk, reason="x"
        )
    held.refresh_from_db()
    assert held.status == "held"

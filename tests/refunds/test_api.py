"""Refunds over /api/v1/: staff create, list, retry and resolve; the learner's quote and
cancellation; all in the OpenAPI schema."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from payments.models import Refund, RefundState
from tests.catalog.factories import RefundPolicyFactory
from tests.payments.conftest import Shop
from tests.refunds.helpers import paid_order


def test_staff_create_list_retry_and_resolve(shop: Shop, eager_tasks: None) -> None:
    order = paid_order(shop, 10000)
    line = order.lines.get()
    admin = shop.world.client_for(shop.world.a_unit1_admin, shop.tenant)
    with shop.capture(execute=True):
        created = admin.post(
            "/api/v1/refunds/",
            {"line": line.pk, "amount_minor": 4000, "reason": "Partial credit"},
            content_type="application/json",
        )
    assert created.status_code == 201, created.content
    assert created.json()["state"] == "requested"  # the body is what was written; the job follows
    assert Refund.objects.get().state == RefundState.SUCCEEDED
    too_much = admin.post(
        "/api/v1/refunds/",
        {"line": line.pk, "amount_minor": 6001, "reason": "x"},
        content_type="application/json",
    )
    assert too_much.status_code == 409
    assert too_much.json()["error"]["code"] == "refund_too_much"

    shop.server.control.add_fault("/v1/refunds", status=402, times=1, method="POST")
    with shop.capture(execute=True):
        admin.post(
            "/api/v1/refunds/",
            {"line": line.pk, "amount_minor": 1000, "reason": "Second"},
            content_type="application/json",
        )
    failed = Refund.objects.get(state=RefundState.FAILED)
    finance = shop.world.client_for(shop.world.a_finance_all, shop.tenant)
    listed = finance.get("/api/v1/refunds/").json()["results"]
    assert listed[0]["id"] == failed.pk  # failed first
    assert listed[0]["failure_reason"]
    assert {r["requested_by"] for r in listed} == {shop.world.a_unit1_admin.email}
    assert (
        finance.post(f"/api/v1/refunds/{failed.pk}/resolve/", {"note": "x"}).status_code == 404
    )  # reads only
    resolved = admin.post(
        f"/api/v1/refunds/{failed.pk}/resolve/",
        {"note": "Paid back by cheque"},
        content_type="application/json",
    )
    assert resolved.status_code == 200
    assert resolved.json()["state"] == "resolved"
    assert (
        admin.post(f"/api/v1/refunds/{failed.pk}/retry/", {}, content_type="application/json").status_code
        == 409
    )
    # Paid back by cheque: those 10.00 count against the line, so they are never refunded twice.
    beyond = admin.post(
        "/api/v1/refunds/",
        {"line": line.pk, "amount_minor": 5001, "reason": "The rest, and a cent more"},
        content_type="application/json",
    )
    assert beyond.status_code == 409
    assert beyond.json()["error"]["code"] == "refund_too_much"


def test_a_retried_refund_counts_once_against_its_line(shop: Shop, eager_tasks: None) -> None:
    order = paid_order(shop, 10000)
    line = order.lines.get()
    admin = shop.world.client_for(shop.world.a_unit1_admin, shop.tenant)
    shop.server.control.add_fault("/v1/refunds", status=402, times=1, method="POST")
    with shop.capture(execute=True):
        admin.post(
            "/api/v1/refunds/",
            {"line": line.pk, "amount_minor": 6000, "reason": "Most of it"},
            content_type="application/json",
        )
    failed = Refund.objects.get(state=RefundState.FAILED)
    with shop.capture(execute=True):
        retried = admin.post(f"/api/v1/refunds/{failed.pk}/retry/", {}, content_type="application/json")
    assert retried.status_code == 201, retried.content
    failed.refresh_from_db()
    assert failed.state == RefundState.RESOLVED
    assert retried.json()["id"] != failed.pk
    assert Refund.objects.get(pk=retried.json()["id"]).state == RefundState.SUCCEEDED
    # It counts once, and it counts: one minor unit above what is left is refused.
    beyond = admin.post(
        "/api/v1/refunds/",
        {"line": line.pk, "amount_minor": 4001, "reason": "The rest, and a cent more"},
        content_type="application/json",
    )
    assert beyond.status_code == 409, beyond.content
    assert beyond.json()["error"]["code"] == "refund_too_much"
    with shop.capture(execute=True):
        rest = admin.post(
            "/api/v1/refunds/",
            {"line": line.pk, "amount_minor": 4000, "reason": "The rest"},
            content_type="application/json",
        )
    assert rest.status_code == 201, rest.content


def test_the_learner_quotes_and_cancels_through_the_api(shop: Shop, eager_tasks: None) -> None:
    RefundPolicyFactory.create(unit=shop.world.a_unit1, tiers=[(14, 100), (3, 50)])
    offering = shop.offering(starts_at=timezone.now() + timedelta(days=10))
    enrollment = shop.hold(offering)
    shop.checkout(enrollment)
    shop.pay(shop.order_of(enrollment))
    shop.deliver()

    quote = shop.browser.get(f"/api/v1/cancellations/{enrollment.pk}/").json()
    assert (quote["refund_minor"], quote["percent"], quote["frees_seat"]) == (62500, 50, True)
    assert quote["until"] is not None
    changed = shop.browser.post(
        f"/api/v1/cancellations/{enrollment.pk}/", {"expected_minor": 125000}, content_type="application/json"
    )
    assert changed.status_code == 409
    with shop.capture(execute=True):
        done = shop.browser.post(
            f"/api/v1/cancellations/{enrollment.pk}/",
            {"expected_minor": 62500},
            content_type="application/json",
        )
    assert done.status_code == 200
    assert done.json()["status"] == "cancelled"
    assert done.json()["refund"]["amount_minor"] == 62500
    other = shop.world.client_for(shop.world.a_admin, shop.tenant)
    assert other.get(f"/api/v1/cancellations/{enrollment.pk}/").status_code == 404


def test_the_schema_lists_the_refund_endpoints(shop: Shop) -> None:
    paths = shop.browser.get("/api/v1/schema/?format=json").json()["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/refunds/"])
    assert "post" in paths["/api/v1/refunds/{id}/{action}/"]
    assert {"get", "post"} <= set(paths["/api/v1/cancellations/{id}/"])

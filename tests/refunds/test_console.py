"""Staff console: a unit admin refunds part of an order line with a reason (and may cancel the
enrollment), finance sees every refund of its units with who asked and why, failed ones first,
retry and resolve; cancelling a whole offering refunds every paid learner in full, e-mails them,
and shows the progress."""

from __future__ import annotations

import pytest
from django.core import mail

from enrollment.models import Enrollment
from payments.models import Refund, RefundState
from tests.factories import UserFactory
from tests.payments.conftest import Shop, eager
from tests.refunds.helpers import figures, paid_order, request


def test_a_unit_admin_refunds_half_of_a_line_with_a_reason(shop: Shop, eager_tasks: None) -> None:
    order = paid_order(shop, 125000)
    line = order.lines.get()
    admin = shop.world.client_for(shop.world.a_unit1_admin, shop.tenant)
    url = f"/console/offerings/{line.offering_id}/refunds/"
    page = admin.get(url).content.decode()
    assert shop.learner.email in page
    assert "left to refund $1,250.00" in page

    with shop.capture(execute=True):
        response = admin.post(url, {"line": line.pk, "amount": "625.00", "reason": "Missed the first week"})
    assert response.status_code == 302
    refund = Refund.objects.get()
    assert (refund.amount_minor, refund.state, refund.requested_by) == (
        62500,
        RefundState.SUCCEEDED,
        shop.world.a_unit1_admin,
    )
    assert Enrollment.objects.get(pk=line.enrollment_id).status == "confirmed"  # not cancelled
    assert figures(shop)["continuing-ed"][2] == 62500

    # Beyond what is left: refused, said next to the field, nothing written.
    response = admin.post(url, {"line": line.pk, "amount": "700", "reason": "Oops"})
    assert response.status_code == 400
    assert "At most $625.00 is left to refund" in response.content.decode()
    assert Refund.objects.count() == 1
    # Finance of all units sees it, with who asked and why; the learner's My learning too.
    finance = shop.world.client_for(shop.world.a_finance_all, shop.tenant)
    listing = finance.get("/console/refunds/").content.decode()
    assert "Missed the first week" in listing
    assert shop.world.a_unit1_admin.email in listing
    assert "Refunded: $625.00" in shop.browser.get("/my/learning/").content.decode()


def test_a_refund_with_cancellation_frees_the_seat(shop: Shop, eager_tasks: None) -> None:
    order = paid_order(shop, 10000)
    line = order.lines.get()
    admin = shop.world.client_for(shop.world.a_unit1_admin, shop.tenant)
    with shop.capture(execute=True):
        admin.post(
            f"/console/offerings/{line.offering_id}/refunds/",
            {"line": line.pk, "amount": "100", "reason": "Moved abroad", "cancel_enrollment": "on"},
        )
    assert Enrollment.objects.get(pk=line.enrollment_id).status == "cancelled"
    line.offering.refresh_from_db()
    assert line.offering.seats_taken == 0


def test_other_units_staff_get_404(shop: Shop, eager_tasks: None) -> None:
    order = paid_order(shop, 10000)
    line = order.lines.get()
    finance_other = shop.world.client_for(shop.world.a_finance_unit2, shop.tenant)
    assert finance_other.get(f"/console/offerings/{line.offering_id}/refunds/").status_code == 404
    request(shop, line, 100)
    # The row's own marker: a bare "#<pk>" also matches the brand colour in the page's CSS (#1f4e79).
    row = f"#{Refund.objects.get().pk}<br>"
    listing = finance_other.get("/console/refunds/")
    assert listing.status_code == 200
    assert row not in listing.content.decode()
    assert order.reference not in listing.content.decode()
    finance_all = shop.world.client_for(shop.world.a_finance_all, shop.tenant)
    shown = finance_all.get("/console/refunds/")
    assert shown.status_code == 200
    assert row in shown.content.decode()
    assert order.reference in shown.content.decode()
    beta = shop.world.client_for(shop.world.b_admin, shop.world.b)
    assert beta.post(f"/console/refunds/{Refund.objects.get().pk}/resolve/", {"note": "x"}).status_code == 404


def test_failed_refunds_come_first_and_can_be_retried_or_resolved(shop: Shop, eager_tasks: None) -> None:
    order = paid_order(shop, 10000)
    line = order.lines.get()
    request(shop, line, 1000, reason="first")
    shop.server.control.add_fault("/v1/refunds", status=402, times=1, method="POST")
    failed = request(shop, line, 2000, reason="declined one")
    assert failed.state == RefundState.FAILED
    admin = shop.world.client_for(shop.world.a_unit1_admin, shop.tenant)
    page = admin.get("/console/refunds/").content.decode()
    assert "1 refund failed" in page
    assert page.index(f'id="refund-{failed.pk}"') < page.index("first")
    assert "Stripe says:" in page

    with shop.capture(execute=True):
        admin.post(f"/console/refunds/{failed.pk}/retry/", {"note": ""})
    failed.refresh_from_db()
    assert failed.state == RefundState.RESOLVED
    assert failed.retried_as.state == RefundState.SUCCEEDED
    assert figures(shop)["continuing-ed"][2] == 3000
    assert admin.get("/console/refunds/?state=failed").content.decode().count('class="refund-failed"') == 0


def test_cancelling_an_offering_refunds_everyone_and_shows_progress(shop: Shop, eager_tasks: None) -> None:
    offering = shop.offering(capacity=5)
    orders = []
    for n in range(3):
        learner = UserFactory.create(email=f"learner{n}@example.com")
        shop.learner = learner
        shop.browser = shop.world.client_for(learner, shop.tenant)
        enrollment = shop.hold(offering, learner=learner)
        shop.checkout(enrollment)
        order = shop.order_of(enrollment)
        shop.pay(order)
        shop.deliver()
        orders.append(order)
    request(shop, orders[0].lines.get(), 25000)  # a partial refund before: the rest goes back
    mail.outbox.clear()

    admin = shop.world.client_for(shop.world.a_unit1_admin, shop.tenant)
    with shop.capture(execute=True):
        response = admin.post(f"/console/offerings/{offering.pk}/cancel/", {"reason": "The teacher is ill"})
    assert response.status_code == 302
    page = admin.get(f"/console/offerings/{offering.pk}/refunds/").content.decode()
    assert "3 of 3 refunded, 0 failed" in page
    batch_refunds = Refund.objects.filter(batch__isnull=False)
    assert sorted(r.amount_minor for r in batch_refunds) == [100000, 125000, 125000]
    assert set(Enrollment.objects.filter(offering=offering).values_list("status", flat=True)) == {"cancelled"}
    offering.refresh_from_db()
    assert offering.status == "archived"  # off the catalog: nobody new enrolls
    told = [m for m in mail.outbox if "Cancelled, and refunded" in m.subject]
    assert sorted(m.to[0] for m in told) == [f"learner{n}@example.com" for n in range(3)]
    assert "The teacher is ill" in told[0].body
    assert figures(shop)["continuing-ed"][2] == 375000


def test_an_offerings_refunds_go_through_the_rate_limited_bulk_task(
    shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.conf import settings

    from payments import selectors, tasks
    from payments.services import staff_refunds
    from tenants.selectors import staff_access

    with eager():
        order = paid_order(shop, 10000)
    queued: list[tuple[str, int]] = []
    monkeypatch.setattr(
        tasks.refund_execute, "apply_async", lambda args, **kw: queued.append(("single", *args))
    )
    monkeypatch.setattr(
        tasks.refund_execute_bulk, "apply_async", lambda args, **kw: queued.append(("bulk", *args))
    )
    monkeypatch.setattr(tasks.refund_notice_send, "apply_async", lambda args, **kw: None)
    access = staff_access(tenant=shop.tenant, user=shop.world.a_unit1_admin)
    with shop.capture(execute=True):
        batch = staff_refunds.offering_cancel(
            tenant=shop.tenant,
            access=access,
            actor=shop.world.a_unit1_admin,
            offering_id=order.lines.get().offering_id,
            reason="Room flooded",
        )
    assert queued == [("bulk", batch.refunds.get().pk)]
    assert tasks.refund_execute_bulk.rate_limit == settings.REFUND_BULK_RATE
    progress = selectors.batch_progress(batch)
    assert (progress.total, progress.succeeded, progress.pending, progress.done) == (1, 0, 1, False)


def test_the_line_refund_form_is_laid_out_as_the_console_forms_without_a_stray_date(
    shop: Shop, eager_tasks: None
) -> None:
    order = paid_order(shop, 125000)
    line = order.lines.get()
    admin = shop.world.client_for(shop.world.a_unit1_admin, shop.tenant)
    page = admin.get(f"/console/offerings/{line.offering_id}/refunds/").content.decode()
    title_to_first_section = page[page.index("<h1") : page.index("<section")]
    assert line.offering.starts_at.strftime("%Y-%m-%d") not in title_to_first_section
    assert f'<input type="text" id="amount-{line.pk}"' in page
    assert f'<input type="text" id="reason-{line.pk}"' in page
    assert (
        page.count('<div class="field') >= 4
    )  # amount, reason, cancel the enrollment, the offering's reason

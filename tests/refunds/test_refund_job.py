"""The refund job against the local Stripe: partial refunds up to the line, the idempotency key
`refund:<id>` when the job dies after Stripe answered, retryable errors, terminal refusals,
refunds that fail later (webhooks), and the ledger after each step."""

from __future__ import annotations

from typing import Any

import pytest

from ledger.models import LedgerTransaction
from payments import selectors, tasks
from payments.errors import RefundRefused
from payments.models import Refund, RefundState
from payments.services import refund_execution, refund_requests, refund_sweep
from tests.payments.conftest import Shop, eager
from tests.refunds.helpers import figures, paid_order, request

FEE_125000 = 3655  # 2.9 % of 1,250.00 + 0.30 (the local Stripe's fee, kept on a refund)


def test_partial_refunds_add_up_to_the_line_and_refuse_beyond(shop: Shop, eager_tasks: None) -> None:
    order = paid_order(shop, 125000)
    line = order.lines.get()

    first = request(shop, line, 50000)
    second = request(shop, line, 70000)
    assert (first.state, second.state) == (RefundState.SUCCEEDED, RefundState.SUCCEEDED)
    with pytest.raises(RefundRefused) as refused:
        request(shop, line, 5001)
    assert "$50.00" in refused.value.message
    assert refused.value.code == "refund_too_much"
    last = request(shop, line, 5000)
    assert last.state == RefundState.SUCCEEDED
    with pytest.raises(RefundRefused):
        request(shop, line, 1)

    charge = shop.server.client().v1.charges.retrieve(order.charge_id)
    assert charge.amount_refunded == 125000
    assert shop.server.control.refunds_of(order.charge_id) == 3
    assert selectors.refundable_minor(line) == 0
    assert figures(shop) == {"continuing-ed": (125000, FEE_125000, 125000, -FEE_125000, 0)}
    posted = LedgerTransaction.objects.filter(kind="refund").order_by("pk")
    assert sorted(t.source_ref for t in posted) == sorted(r.stripe_refund_id for r in (first, second, last))
    # Each refund's history: requested → processing → succeeded, who and why.
    moves = [(t.from_state, t.to_state) for t in first.transitions.all()]
    assert moves == [("", "requested"), ("requested", "processing"), ("processing", "succeeded")]
    assert first.transitions.first().actor == shop.world.a_admin  # type: ignore[union-attr]


def test_refund_amounts_that_make_no_sense_are_refused(shop: Shop, eager_tasks: None) -> None:
    line = paid_order(shop, 10000).lines.get()
    for amount in (0, -5):
        with pytest.raises(RefundRefused):
            request(shop, line, amount)
    with pytest.raises(RefundRefused) as no_reason:
        request(shop, line, 100, reason="  ")
    assert "reason" in no_reason.value.fields
    assert Refund.objects.count() == 0


def test_a_job_killed_after_stripe_answered_refunds_once_when_retried(
    shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    with eager():  # paid with its jobs run; the refund's job is run by hand below
        order = paid_order(shop, 125000)
    line = order.lines.get()
    with shop.capture(execute=False):  # the job is not run: we run it by hand below
        refund = refund_requests.refund_request(
            tenant=shop.tenant,
            line_id=line.pk,
            amount_minor=40000,
            reason="Moved away",
            requested_by_kind="staff",
        )
    real_save = refund_execution.refund_answer_apply

    def killed(*args: Any, **kwargs: Any) -> str:
        raise SystemExit("worker killed")

    monkeypatch.setattr(refund_execution, "refund_answer_apply", killed)
    with pytest.raises(SystemExit):
        refund_execution.refund_execute(refund_id=refund.pk)
    refund.refresh_from_db()
    assert refund.state == RefundState.PROCESSING
    assert refund.stripe_refund_id == ""
    assert shop.server.control.refunds_of(order.charge_id) == 1  # Stripe did it

    monkeypatch.setattr(refund_execution, "refund_answer_apply", real_save)
    # The sweep finds it stuck, the job runs again with the same key: the same refund comes back.
    assert refund.pk in refund_sweep.refunds_due(now=refund.updated_at + refund_sweep.STUCK_AFTER)["execute"]
    assert refund_execution.refund_execute(refund_id=refund.pk) == RefundState.SUCCEEDED
    refund.refresh_from_db()
    assert shop.server.control.refunds_of(order.charge_id) == 1
    assert shop.server.client().v1.charges.retrieve(order.charge_id).amount_refunded == 40000
    assert refund.attempts == 2
    assert refund.stripe_refund_id.startswith("re_")


def test_stripe_500_and_429_are_retried_then_the_refund_succeeds(shop: Shop, worker_retries: None) -> None:
    order = paid_order(shop, 125000)
    line = order.lines.get()
    control = shop.server.control
    control.add_fault("/v1/refunds", status=500, times=3, method="POST")  # the SDK's 2 retries use 3
    control.add_fault("/v1/refunds", status=429, times=1, method="POST")  # a plain 429: no SDK retry
    refund = request(shop, line, 125000)

    assert refund.state == RefundState.SUCCEEDED
    assert refund.attempts == 3  # 500 ×3 (one job run), 429 (a second), then the answer
    assert control.refunds_of(order.charge_id) == 1
    assert figures(shop)["continuing-ed"][2] == 125000


def test_retries_are_bounded_and_leave_the_refund_for_the_sweep(shop: Shop, worker_retries: None) -> None:
    order = paid_order(shop, 10000)
    shop.server.control.add_fault("/v1/refunds", status=503, times=1000, method="POST")
    refund = request(shop, order.lines.get(), 10000)
    assert refund.state == RefundState.PROCESSING
    assert refund.attempts == tasks.refund_execute.max_retries + 1
    assert shop.server.control.refunds_of(order.charge_id) == 0
    shop.server.control.clear_faults()
    assert refund_execution.refund_execute(refund_id=refund.pk) == RefundState.SUCCEEDED


def test_a_refusal_is_a_terminal_failure_with_stripes_reason(shop: Shop, eager_tasks: None) -> None:
    order = paid_order(shop, 10000)
    # Someone refunded the whole charge in Stripe's dashboard: our refund is refused.
    shop.server.client().v1.refunds.create(params={"charge": order.charge_id})
    refund = request(shop, order.lines.get(), 2500)

    assert refund.state == RefundState.FAILED
    assert "already been refunded" in refund.failure_reason
    assert refund.failed_at is not None
    assert not LedgerTransaction.objects.filter(kind="refund").exists()
    # Retried by staff: a new refund (a new idempotency key); the failed one resolved, pointing to it.
    again = refund_requests.refund_retry(tenant=shop.tenant, refund_id=refund.pk, actor=shop.world.a_admin)
    refund.refresh_from_db()
    assert refund.state == RefundState.RESOLVED
    assert str(again.pk) in refund.resolution_note
    assert again.retry_of == refund
    with pytest.raises(RefundRefused):
        refund_requests.refund_resolve(
            tenant=shop.tenant, refund_id=again.pk, actor=shop.world.a_admin, note="x"
        )


def test_a_refund_that_fails_later_is_reopened_and_reversed_in_the_ledger(
    shop: Shop, eager_tasks: None
) -> None:
    order = paid_order(shop, 125000)
    shop.server.control.fail_next_refund("expired_or_canceled_card", after_seconds=3600)
    refund = request(shop, order.lines.get(), 125000)
    shop.deliver()  # refund.created, charge.refunded: nothing changes, it is succeeded already
    assert refund.state == RefundState.SUCCEEDED
    assert figures(shop)["continuing-ed"][2] == 125000

    shop.server.control.advance_clock(3601)
    shop.server.control.tick()
    sent = shop.deliver()
    assert {"refund.updated", "refund.failed"} <= {e["type"] for e in sent}
    refund.refresh_from_db()
    assert refund.state == RefundState.FAILED
    assert refund.failure_reason == "expired_or_canceled_card"
    assert [t.to_state for t in refund.transitions.all()][-1] == "failed"
    assert refund.transitions.last().stripe_event_id.startswith("evt_")  # type: ignore[union-attr]
    reversal = LedgerTransaction.objects.get(kind="refund_reversal")
    assert reversal.source_ref == refund.stripe_refund_id
    assert figures(shop)["continuing-ed"][2] == 0  # the refund no longer counts
    # Delivered again: nothing moves twice.
    for event in sent:
        shop.post_event(event)
    assert LedgerTransaction.objects.filter(kind="refund_reversal").count() == 1
    # The money may be refunded again: a failed refund no longer counts against the line.
    assert selectors.refundable_minor(order.lines.get()) == 125000


def test_events_before_the_jobs_answer_move_the_refund_forward(
    shop: Shop, monkeypatch: pytest.MonkeyPatch, eager_tasks: None
) -> None:
    """Stripe's events can overtake the job: found by the id in the refund's metadata."""
    order = paid_order(shop, 20000)
    monkeypatch.setattr(refund_execution, "refund_answer_apply", _dies)
    with pytest.raises(SystemExit):
        request(shop, order.lines.get(), 20000)
    monkeypatch.undo()
    shop.deliver("charge.refunded")
    refund = Refund.objects.get()
    assert refund.state == RefundState.SUCCEEDED
    assert refund.stripe_refund_id.startswith("re_")
    assert figures(shop)["continuing-ed"][2] == 20000
    # The job, retried, finds it done and calls Stripe no more.
    before = shop.server.control.requests_to("POST", "/v1/refunds")
    assert refund_execution.refund_execute(refund_id=refund.pk) == RefundState.SUCCEEDED
    assert shop.server.control.requests_to("POST", "/v1/refunds") == before


def _dies(*args: Any, **kwargs: Any) -> str:
    raise SystemExit("worker killed")


def test_the_sweep_finds_refunds_the_broker_lost(
    shop: Shop, eager_tasks: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The broker was down at commit: nothing ran; the minute sweep runs the refund, its ledger
    posting follows."""
    order = paid_order(shop, 30000)
    monkeypatch.setattr(tasks.refund_execute, "apply_async", _broker_down)
    refund = request(shop, order.lines.get(), 30000)
    assert refund.state == RefundState.REQUESTED
    monkeypatch.undo()
    from datetime import timedelta

    from django.utils import timezone

    Refund.objects.filter(pk=refund.pk).update(updated_at=timezone.now() - timedelta(minutes=3))
    with shop.capture(execute=True):  # the refund's ledger posting is queued after its commit
        result = tasks.payments_sweep()
    assert result["refunds_stuck"] == 1
    refund.refresh_from_db()
    assert refund.state == RefundState.SUCCEEDED
    assert figures(shop)["continuing-ed"][2] == 30000
    assert tasks.payments_sweep()["refunds_stuck"] == 0


def _broker_down(*args: Any) -> None:
    raise ConnectionError("broker down")


def test_a_refund_pending_at_stripe_is_read_back_by_the_sweep(
    shop: Shop, eager_tasks: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    order = paid_order(shop, 20000)
    real_save = refund_execution.refund_answer_apply

    def answered_pending(refund_id: int, answer: dict[str, Any], **kw: Any) -> str:
        return real_save(refund_id, {**answer, "status": "pending"}, **kw)

    monkeypatch.setattr(refund_execution, "refund_answer_apply", answered_pending)
    refund = request(shop, order.lines.get(), 20000)
    monkeypatch.setattr(refund_execution, "refund_answer_apply", real_save)
    assert refund.state == RefundState.PROCESSING
    assert refund.stripe_refund_id.startswith("re_")
    assert refund_execution.refund_execute(refund_id=refund.pk) == RefundState.PROCESSING  # no second call

    from datetime import timedelta

    from django.utils import timezone

    Refund.objects.filter(pk=refund.pk).update(updated_at=timezone.now() - timedelta(hours=2))
    with shop.capture(execute=True):
        assert tasks.payments_sweep()["refunds_stuck"] == 0
    refund.refresh_from_db()
    assert refund.state == RefundState.SUCCEEDED
    assert shop.server.control.refunds_of(order.charge_id) == 1
    assert figures(shop)["continuing-ed"][2] == 20000

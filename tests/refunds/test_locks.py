"""A row payments must change, held locked by another connection for longer than the lock
timeout: the request is refused with `payments_busy` (503, try again), nothing changes, never a
500; once the lock is gone the same request goes through."""

from __future__ import annotations

import pytest

from payments.models import Refund, RefundState
from payments.services import locks
from tests.locks import locked_elsewhere
from tests.payments.conftest import Shop
from tests.refunds.helpers import paid_order, request

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_refund_locked_too_long_is_payments_busy_not_a_500(
    shop: Shop, eager_tasks: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    order = paid_order(shop, 10000)
    shop.server.control.add_fault("/v1/refunds", status=402, times=1, method="POST")
    failed = request(shop, order.lines.get(), 2500)
    assert failed.state == RefundState.FAILED
    monkeypatch.setattr(locks, "LOCK_TIMEOUT", "200ms")
    admin = shop.world.client_for(shop.world.a_unit1_admin, shop.tenant)
    with locked_elsewhere(lambda: Refund.objects.select_for_update().get(pk=failed.pk)):
        busy = admin.post(
            f"/api/v1/refunds/{failed.pk}/resolve/", {"note": "Paid by bank"}, content_type="application/json"
        )
    assert busy.status_code == 503
    assert busy.json()["error"]["code"] == "payments_busy"
    failed.refresh_from_db()
    assert failed.state == RefundState.FAILED

    done = admin.post(
        f"/api/v1/refunds/{failed.pk}/resolve/", {"note": "Paid by bank"}, content_type="application/json"
    )
    assert done.status_code == 200
    failed.refresh_from_db()
    assert failed.state == RefundState.RESOLVED

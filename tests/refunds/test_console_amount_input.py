"""The staff refund form answers an amount it cannot read beside the field, never with a 500."""

from __future__ import annotations

import pytest

from payments.models import Refund
from tests.payments.conftest import Shop
from tests.refunds.helpers import paid_order


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("-50", "Enter an amount of zero or more."),
        ("abc", "Enter an amount like 1250.00."),
        ("12.345", "USD has 2 decimal places at most."),
        ("NaN", "Enter an amount like 1250.00."),
        ("1e309", "An amount can be at most $999,999.99."),
        (str(2**63), "An amount can be at most $999,999.99."),
    ],
)
def test_an_unreadable_amount_is_said_beside_the_field_and_nothing_is_refunded(
    shop: Shop, eager_tasks: None, amount: str, message: str
) -> None:
    line = paid_order(shop, 125000).lines.get()
    admin = shop.world.client_for(shop.world.a_unit1_admin, shop.tenant)

    response = admin.post(
        f"/console/offerings/{line.offering_id}/refunds/",
        {"line": line.pk, "amount": amount, "reason": "Asked by phone"},
    )

    body = response.content.decode()
    assert response.status_code == 400
    assert message in body
    assert f'value="{amount}"' in body  # what was typed is kept
    assert not Refund.objects.exists()

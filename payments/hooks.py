"""What apps above payments add inside its transactions, registered at start-up (core.registry)::

hooks.order_paid_recorders.register("webhooks", recorder)
    # recorder(order: Order) -> None, inside the transaction that moved the order to paid (its
    # seats confirmed): rows it writes commit or roll back with the payment; an error it raises
    # fails it. Keep it to a few queries.
hooks.refund_succeeded_recorders.register("webhooks", recorder)
    # recorder(refund: Refund) -> None, inside the transaction that moved the refund to succeeded.
"""

from __future__ import annotations

from collections.abc import Callable

from core.registry import Registry
from payments.models import Order, Refund

OrderRecorder = Callable[[Order], None]
RefundRecorder = Callable[[Refund], None]

order_paid_recorders: Registry[OrderRecorder] = Registry("order-paid recorder")
refund_succeeded_recorders: Registry[RefundRecorder] = Registry("refund-succeeded recorder")

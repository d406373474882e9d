"""Seats with nothing to pay: a 100 % promotion code, or staff waiving the fee.

Such an order never goes to Stripe. It is confirmed at once, as a paid order is (fulfilment.
order_paid: its seats confirmed, the receipt e-mailed once, the settle job posting the waiver to
the ledger against each seat's unit), with its reason kept on the order.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from enrollment.models import Enrollment, EnrollmentStatus
from identity.models import User
from payments.errors import CheckoutRefused
from payments.models import Order, OrderStatus
from payments.services import locks
from payments.services.fulfilment import order_paid
from payments.services.orders import StaffWaiver, order_for_holds
from tenants.errors import NotVisible
from tenants.models import Tenant
from tenants.selectors import StaffAccess


def free_order_confirm(*, order: Order, now: datetime | None = None) -> Order:
    """Confirm an order priced at nothing (idempotent: a second call changes nothing)."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = locks.lock_order(order_id=order.pk)
        if locked.amount_minor != 0 or not locked.discount_minor:
            raise CheckoutRefused(_("This order has something to pay: it goes to the checkout."))
        if locked.status in (OrderStatus.DRAFT, OrderStatus.OPEN):
            order_paid(
                order=locked, stripe_event_id="", now=now, action="fee_waived", reason=locked.waiver_reason
            )
    return locked


def staff_waive(
    *, tenant: Tenant, access: StaffAccess, actor: User, enrollment_id: int, reason: str
) -> Order:
    """Staff who run the seat's unit waive its whole fee (a scholarship, widening participation):
    the held seat is confirmed with no checkout, the reason recorded and e-mailed to the learner
    with the receipt. Its unit bears the waived price (ledger: unit_discounts)."""
    reason = " ".join(reason.split())
    if not reason:
        raise CheckoutRefused(_("Say why the fee is waived: the learner and finance see it."))
    enrollment = (
        Enrollment.objects.filter(tenant=tenant, pk=enrollment_id)
        .select_related("learner", "offering__microcredential__unit")
        .first()
    )
    if enrollment is None or not access.manages_unit(enrollment.offering.microcredential.unit):
        raise NotVisible(_("No such enrollment."))
    if enrollment.status != EnrollmentStatus.HELD:
        raise CheckoutRefused(_("Only a held seat's fee can be waived: this seat is not held."))
    start = order_for_holds(
        tenant=tenant,
        learner=enrollment.learner,
        enrollment_ids=[enrollment.pk],
        waiver=StaffWaiver(reason=reason, by=actor),
    )
    return free_order_confirm(order=start.order)

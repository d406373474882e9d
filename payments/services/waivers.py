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

from enrollment import services as enrollment_services
from enrollment.errors import OfferingFull
from enrollment.models import Enrollment, EnrollmentStatus
from identity.models import User
from payments.errors import CheckoutRefused
from payments.models import Order, OrderStatus
from payments.services import locks
from payments.services.fulfilment import order_paid
from payments.services.orders import StaffWaiver, code_available, order_for_holds
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


def seat_with_code(*, tenant: Tenant, learner: User, offering_id: int, code: str) -> Order:
    """Hold a seat and make its order with a promotion code, in one transaction: if the seat
    cannot be held (full: a wait-list place is not a seat) or the code refused (used up,
    expired…), nothing is kept. With nothing left to pay (a 100 % code) the seat is confirmed
    at once; otherwise the order is the caller's to open at Stripe (checkout_start). A code
    already used up is refused before any seat is locked."""
    code_available(tenant=tenant, learner=learner, code=code)
    with transaction.atomic():
        held = enrollment_services.enrollment_create(tenant=tenant, learner=learner, offering_id=offering_id)
        if held.enrollment.status != EnrollmentStatus.HELD:
            raise OfferingFull(_("No seat is free: a code holds a seat only when one is."))
        start = order_for_holds(
            tenant=tenant, learner=learner, enrollment_ids=[held.enrollment.pk], code=code
        )
        if start.order.amount_minor == 0:
            return free_order_confirm(order=start.order)
    return start.order

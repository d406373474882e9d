"""What payments hears from enrollment (registered by PaymentsConfig.ready)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from catalog.models import Offering
from core.jobs import enqueue
from enrollment import extensions
from enrollment.models import Enrollment, EnrollmentStatus
from payments.models import Order, OrderStatus
from payments.presenters import cancellation_notes
from tenants.models import Tenant


def on_hold_cancelled(*, tenant_id: int, enrollment_id: int) -> None:
    """After commit: a held seat was cancelled; its open checkout is expired by a job. With the
    broker down the cancellation still stands (this runs after its commit) and the minute sweep
    closes the checkout a minute later (settlement.follow_ups_due); a payment made before that
    takes the late-payment path (the seat taken again if free, else refunded)."""
    enqueue("payments.close_checkout_for_cancelled_hold", enrollment_id)


def roster_extra(*, tenant: Tenant, offering: Offering, enrollment_ids: list[int]) -> extensions.RosterExtra:
    """On a paid offering's roster: "Waive the fee…" for each held seat; "Fee waived: why" for a
    seat confirmed by a waiver."""
    if offering.is_free:
        return extensions.RosterExtra()
    notes: dict[int, tuple[extensions.RosterNote, ...]] = {}
    held = Enrollment.objects.filter(
        tenant=tenant, pk__in=enrollment_ids, status=EnrollmentStatus.HELD
    ).values_list("pk", flat=True)
    for pk in held:
        action = extensions.RosterAction(_("Waive the fee…"), reverse("console-seat-waive", args=[pk]))
        notes[pk] = (extensions.RosterNote(_("Not paid yet."), actions=(action,)),)
    waived = Order.objects.filter(
        tenant=tenant, status=OrderStatus.PAID, amount_minor=0, lines__enrollment_id__in=enrollment_ids
    ).values_list("lines__enrollment_id", "waiver_reason")
    for pk, reason in waived:
        notes[pk] = (extensions.RosterNote(_("Fee waived: %(reason)s") % {"reason": reason}),)
    return extensions.RosterExtra(notes=notes)


def register() -> None:
    extensions.roster_extras.register("payments", roster_extra)
    extensions.hold_cancelled_listeners.register("close the checkout", on_hold_cancelled)
    extensions.cancellation_notes_providers.register("refund", cancellation_notes)

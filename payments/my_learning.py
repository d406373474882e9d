"""What payments adds to My learning (enrollment.extensions): a paid seat's cancel page (the
refund shown first) and each refund's progress under its enrollment."""

from __future__ import annotations

from django.db.models import Q
from django.urls import reverse

from enrollment import extensions
from enrollment.extensions import Extra
from enrollment.models import EnrollmentStatus
from identity.models import User
from payments.models import LineStatus, OrderLine, OrderStatus, Refund, RefundState
from payments.presenters import refund_note
from tenants.models import Tenant


def my_learning_extras(*, tenant: Tenant, learner: User, enrollment_ids: list[int]) -> dict[int, Extra]:
    if not enrollment_ids:
        return {}
    lines = list(
        OrderLine.objects.filter(tenant=tenant, order__learner=learner, order__status=OrderStatus.PAID)
        .filter(Q(enrollment_id__in=enrollment_ids) | Q(seat_enrollment_id__in=enrollment_ids))
        .select_related("seat_enrollment", "enrollment")
        .order_by("pk")
    )
    refunds: dict[int, list[Refund]] = {}
    for refund in Refund.objects.filter(line__in=lines).order_by("created_at", "pk"):
        refunds.setdefault(refund.line_id, []).append(refund)
    found: dict[int, Extra] = {}
    for line in lines:
        enrollment = line.seat
        cancel_url = ""
        if line.status == LineStatus.CONFIRMED and enrollment.status == EnrollmentStatus.CONFIRMED:
            cancel_url = reverse("paid-cancel", args=[enrollment.pk])
        notes = tuple(
            refund_note(r)
            for r in refunds.get(line.pk, [])
            if r.state != RefundState.RESOLVED or r.resolution_note
        )
        before = found.get(enrollment.pk, Extra())
        found[enrollment.pk] = Extra(cancel_url=cancel_url or before.cancel_url, notes=before.notes + notes)
    return found


def register() -> None:
    extensions.my_learning.register("payments", my_learning_extras)

"""The `data` of each event: a small snapshot of the object when the event happened (ids, the
learner's e-mail, the offering, amounts in integer minor units with their currency, times in
ISO 8601 UTC). docs/webhooks.md shows each."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from credentials.models import Credential
from enrollment.models import Enrollment
from payments.models import Order, OrderLine, Refund


def _utc(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z") if moment is not None else None


def enrollment_data(enrollment_id: int) -> tuple[int, int, dict[str, Any]]:
    """(the unit's id, the learner's id, the snapshot) of an enrollment."""
    e = (
        Enrollment.objects.select_related("learner", "offering__microcredential")
        .only(
            "pk",
            "status",
            "updated_at",
            "learner__id",
            "learner__email",
            "offering__id",
            "offering__cohort_label",
            "offering__starts_at",
            "offering__ends_at",
            "offering__microcredential__id",
            "offering__microcredential__title",
            "offering__microcredential__unit_id",
        )
        .get(pk=enrollment_id)
    )
    offering = e.offering
    return (
        offering.microcredential.unit_id,
        e.learner_id,
        {
            "object": "enrollment",
            "id": e.pk,
            "status": e.status,
            "learner": {"email": e.learner.email},
            "offering": {
                "id": offering.pk,
                "title": offering.microcredential.title,
                "cohort": offering.cohort_label,
                "starts_at": _utc(offering.starts_at),
                "ends_at": _utc(offering.ends_at),
            },
            "microcredential": {"id": offering.microcredential.pk},
            "changed_at": _utc(e.updated_at),
        },
    )


def order_lines(order: Order) -> list[OrderLine]:
    return list(
        OrderLine.objects.filter(order=order).select_related("offering__microcredential").order_by("pk")
    )


def order_data(order: Order, lines: list[OrderLine], unit_id: int | None) -> dict[str, Any]:
    """The order as a unit sees it (only its lines and their sum), or whole (`unit_id` None)."""
    mine = [line for line in lines if unit_id is None or line.unit_id == unit_id]
    return {
        "object": "order",
        "id": order.pk,
        "reference": order.reference,
        "email": order.email,
        "status": order.status,
        "amount_minor": order.amount_minor if unit_id is None else sum(line.amount_minor for line in mine),
        "currency": order.currency,
        "paid_at": _utc(order.paid_at),
        "lines": [
            {
                "id": line.pk,
                "enrollment_id": line.enrollment_id,
                "offering": {"id": line.offering_id, "title": line.offering.microcredential.title},
                "description": line.description,
                "amount_minor": line.amount_minor,
                "discount_minor": line.discount_minor,
                "currency": line.currency,
                "status": line.status,
            }
            for line in mine
        ],
    }


def refund_data(refund: Refund) -> tuple[int, int, dict[str, Any]]:
    """(the unit's id, the learner's id, the snapshot) of a refund."""
    line = OrderLine.objects.select_related("order", "offering__microcredential").get(pk=refund.line_id)
    return (
        line.unit_id,
        line.order.learner_id,
        {
            "object": "refund",
            "id": refund.pk,
            "amount_minor": refund.amount_minor,
            "currency": refund.currency,
            "status": refund.state,
            "reason": refund.reason[:500],
            "order": {"id": line.order_id, "reference": line.order.reference, "email": line.order.email},
            "line_id": line.pk,
            "enrollment_id": line.enrollment_id,
            "offering": {"id": line.offering_id, "title": line.offering.microcredential.title},
            "succeeded_at": _utc(refund.succeeded_at),
        },
    )


def credential_data(credential: Credential, learner_email: str, title: str) -> dict[str, Any]:
    return {
        "object": "credential",
        "id": str(credential.public_id),
        "kind": credential.kind,
        "learner": {"email": learner_email},
        "microcredential": {"id": credential.microcredential_id, "title": title},
        "enrollment_id": credential.enrollment_id,
        "issued_at": _utc(credential.issued_at),
    }

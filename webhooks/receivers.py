"""Where the domain apps tell webhooks of an event, inside the transaction of the change
(enrollment.extensions.status_recorders, payments.hooks, credentials.hooks): each writes the
deliveries of the event for the endpoints that want it (services.event_record)."""

from __future__ import annotations

from functools import partial
from typing import Any

from catalog.models import Microcredential
from credentials import hooks as credential_hooks
from credentials.models import Credential
from enrollment import extensions
from enrollment.extensions import StatusChanged
from enrollment.models import EnrollmentStatus
from identity.models import User
from payments import hooks as payment_hooks
from payments.models import Order, Refund
from webhooks import payloads, services, subscriptions
from webhooks.models import EventType

ENROLLMENT_EVENTS: dict[str, str] = {
    EnrollmentStatus.CONFIRMED: EventType.ENROLLMENT_CONFIRMED,
    EnrollmentStatus.CANCELLED: EventType.ENROLLMENT_CANCELLED,
    EnrollmentStatus.COMPLETED: EventType.ENROLLMENT_COMPLETED,
}


def _anyone_listens(tenant_id: int, event_type: str) -> bool:
    """Asked first, from the cache: most tenants register no endpoint, and then nothing is read."""
    return event_type in subscriptions.wanted(tenant_id)


def enrollment_changed(change: StatusChanged) -> None:
    event_type = ENROLLMENT_EVENTS.get(change.to_status)
    if event_type is None or change.from_status == change.to_status:
        return
    if change.from_status == EnrollmentStatus.COMPLETED:
        return  # a completion corrected to "not completed": the seat was confirmed long ago
    if not _anyone_listens(change.tenant_id, event_type):
        return
    unit_id, learner_id, data = payloads.enrollment_data(change.enrollment_id)
    services.event_record(
        tenant_id=change.tenant_id,
        event_type=event_type,
        object_ref=f"enrollment:{change.enrollment_id}",
        unit_ids=[unit_id],
        data_for=partial(_same, data),
        learner_id=learner_id,
    )


def order_paid(order: Order) -> None:
    if not _anyone_listens(order.tenant_id, EventType.ORDER_PAID):
        return
    lines = payloads.order_lines(order)
    services.event_record(
        tenant_id=order.tenant_id,
        event_type=EventType.ORDER_PAID,
        object_ref=f"order:{order.pk}",
        unit_ids=[line.unit_id for line in lines],
        data_for=lambda unit_id: payloads.order_data(order, lines, unit_id),
        learner_id=order.learner_id,
    )


def refund_succeeded(refund: Refund) -> None:
    if not _anyone_listens(refund.tenant_id, EventType.REFUND_SUCCEEDED):
        return
    unit_id, learner_id, data = payloads.refund_data(refund)
    services.event_record(
        tenant_id=refund.tenant_id,
        event_type=EventType.REFUND_SUCCEEDED,
        object_ref=f"refund:{refund.pk}",
        unit_ids=[unit_id],
        data_for=partial(_same, data),
        learner_id=learner_id,
    )


def credentials_issued(credentials: list[Credential]) -> None:
    tenants = {c.tenant_id for c in credentials}
    listening = {t for t in tenants if _anyone_listens(t, EventType.CREDENTIAL_ISSUED)}
    if not listening:
        return
    mine = [c for c in credentials if c.tenant_id in listening]
    emails = dict(User.objects.filter(pk__in={c.learner_id for c in mine}).values_list("pk", "email"))
    titles = dict(
        Microcredential.objects.filter(pk__in={c.microcredential_id for c in mine}).values_list("pk", "title")
    )
    for c in mine:
        data = payloads.credential_data(c, emails.get(c.learner_id, ""), titles.get(c.microcredential_id, ""))
        services.event_record(
            tenant_id=c.tenant_id,
            event_type=EventType.CREDENTIAL_ISSUED,
            object_ref=f"credential:{c.pk}",
            unit_ids=[c.unit_id],
            data_for=partial(_same, data),
            learner_id=c.learner_id,
        )


def _same(data: dict[str, Any], _unit_id: int | None) -> dict[str, Any]:
    return data


def register() -> None:
    extensions.status_recorders.register("webhooks", enrollment_changed)
    payment_hooks.order_paid_recorders.register("webhooks", order_paid)
    payment_hooks.refund_succeeded_recorders.register("webhooks", refund_succeeded)
    credential_hooks.issued_recorders.register("webhooks", credentials_issued)

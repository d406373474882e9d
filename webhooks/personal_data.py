"""Webhooks' personal data: deliveries carry a learner's e-mail address to the institution's own
systems. "Download my data" lists what was sent about them and where; "Delete my account" keeps
the delivery rows (what was sent, when: the institution's log) with every e-mail address in
them replaced by the anonymous reference. What a receiving system already took is the
institution's to erase there."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from identity.models import User
from identity.registry import register_personal_data
from learners.registry import MergeContext, merge_movers
from webhooks.models import Delivery


def export(user: User) -> list[dict[str, Any]]:
    rows = Delivery.objects.filter(learner=user).select_related("endpoint", "tenant").order_by("pk")
    return [
        {
            "institution": d.tenant.name,
            "event": d.event_type,
            "created_at": d.created_at.isoformat(),
            "sent_to": urlsplit(d.endpoint.url).hostname or "",
            "status": d.status,
            "data": d.payload.get("data"),
        }
        for d in rows
    ]


def _scrubbed(value: Any, erased: str) -> Any:
    if isinstance(value, dict):
        return {k: erased if k == "email" else _scrubbed(v, erased) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrubbed(v, erased) for v in value]
    return value


def erase(user: User, reference: str) -> None:
    erased = f"{reference}@erased.invalid"
    for delivery in Delivery.objects.filter(learner=user).only("pk", "payload").iterator():
        Delivery.objects.filter(pk=delivery.pk).update(payload=_scrubbed(delivery.payload, erased))


def move_deliveries(merge: MergeContext) -> int:
    """Two accounts merged in a tenant: its deliveries about the merged-away one are the kept
    one's (what was sent is not changed: it is what was sent)."""
    return Delivery.objects.filter(tenant=merge.tenant, learner=merge.source).update(learner=merge.target)


def register() -> None:
    register_personal_data("webhook_deliveries", export=export, erase=erase)
    merge_movers.register("webhook_deliveries", move_deliveries)

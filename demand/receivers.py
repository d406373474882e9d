"""What demand plugs into lower apps (called from DemandConfig.ready)."""

from __future__ import annotations

from typing import Any

from catalog import hooks
from core.jobs import enqueue
from demand import services
from demand.models import Interest
from enrollment.extensions import StatusChanged, status_listeners
from enrollment.models import SEAT_STATES, Enrollment
from identity.models import User
from identity.registry import register_personal_data
from learners.registry import MergeContext, merge_movers


def count_search_miss(tenant_id: int, text: str) -> None:
    services.search_miss_count(tenant_id=tenant_id, text=text)


def seats_added(offering_id: int, seats_added: int) -> None:
    """Capacity went up: tell those waiting now rather than at the next minute's sweep."""
    enqueue("demand.notify_for_offering", offering_id)


def seat_freed(change: StatusChanged) -> None:
    """After the commit of an enrollment's change: one that gave its seat back (cancelled,
    expired) may have freed one to tell of. The minute's sweep would find it too."""
    if change.from_status in SEAT_STATES and change.to_status not in SEAT_STATES:
        offering_id = _offering_of(change.enrollment_id)
        if offering_id is not None:
            enqueue("demand.notify_for_offering", offering_id)


def _offering_of(enrollment_id: int) -> int | None:
    return Enrollment.objects.filter(pk=enrollment_id).values_list("offering_id", flat=True).first()


def export(user: User) -> list[dict[str, Any]]:
    rows = Interest.objects.filter(user=user).select_related("tenant", "microcredential").order_by("pk")
    return [
        {
            "institution": i.tenant.name,
            "microcredential": i.microcredential.title,
            "email": i.email,
            "signed_up_at": i.created_at.isoformat(),
            "notified_at": i.notified_at.isoformat() if i.notified_at else None,
        }
        for i in rows
    ]


def erase(user: User, reference: str) -> None:
    # Wanting to hear of a course is no record anyone must keep: gone with the account.
    Interest.objects.filter(user=user).delete()
    Interest.objects.filter(email__iexact=user.email).delete()


def move_interests(merge: MergeContext) -> int:
    """Two accounts merged in a tenant: the kept one is the signed-in owner of the merged-away
    one's interests (each keeps the address it was made with: rows are one per address)."""
    return Interest.objects.filter(tenant=merge.tenant, user=merge.source).update(user=merge.target)


def register() -> None:
    hooks.search_found_nothing.register("demand: count", count_search_miss)
    hooks.capacity_raised.register("demand: tell those waiting", seats_added)
    status_listeners.register("demand: a seat freed", seat_freed)
    register_personal_data("notify_me", export=export, erase=erase)
    merge_movers.register("notify_me", move_interests)

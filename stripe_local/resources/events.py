"""Events: what happened, with a snapshot of the object as it was then. Each is also delivered
to the webhook endpoint (see `webhooks.py`); `pending_webhooks` counts deliveries not yet
answered with 2xx."""

from __future__ import annotations

from fnmatch import fnmatchcase

from stripe_local.api import Call, Json, list_page, route
from stripe_local.errors import no_such
from stripe_local.models import Event
from stripe_local.store import Store


def render_event(store: Store, event: Event) -> Json:
    data: Json = {"object": event.data}
    if event.previous_attributes is not None:
        data["previous_attributes"] = event.previous_attributes
    return {
        "id": event.id,
        "object": "event",
        "api_version": event.api_version,
        "created": event.created,
        "data": data,
        "livemode": False,
        "pending_webhooks": event.pending_webhooks,
        "request": {"id": event.request_id, "idempotency_key": event.idempotency_key},
        "type": event.type,
    }


def retrieve_event(call: Call) -> Json:
    call.params.finish()
    event = call.store.events.get(call.ids["id"])
    if event is None:
        raise no_such("event", call.ids["id"])
    return render_event(call.store, event)


def list_events(call: Call) -> Json:
    """`type` may hold a wildcard (`charge.*`); `types[]` any of several exact types."""
    wanted = call.params.string("type")
    types = call.params.string_list("types")
    equal = {}
    patterns: list[str] = []
    if wanted is not None and "*" not in wanted:
        equal["type"] = wanted
    elif wanted is not None:
        patterns.append(wanted)

    def matches(event: Event) -> bool:
        if types is not None and event.type not in types:
            return False
        return all(fnmatchcase(event.type, pattern) for pattern in patterns)

    return list_page(call, call.store.events, render_event, url="/v1/events", equal=equal, predicate=matches)


ROUTES = [
    route("GET", "/v1/events", list_events),
    route("GET", "/v1/events/{id}", retrieve_event),
]

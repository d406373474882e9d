"""Routing for Stripe's API paths, list pagination and `expand`.

Each resource module lists its `ROUTES`; a handler gets a `Call` (the store, the decoded
parameters, the path's ids) and returns the JSON object to answer with, or raises `ApiError`.
Handlers run under the store's lock, one at a time.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from stripe_local.collection import Collection, CreatedRange, Record
from stripe_local.params import Params
from stripe_local.store import Store

Json = dict[str, Any]


@dataclass
class Call:
    store: Store
    params: Params
    ids: dict[str, str]
    path: str


Handler = Callable[[Call], Json]


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    handler: Handler


def route(method: str, template: str, handler: Handler) -> Route:
    """`route("GET", "/v1/charges/{charge}", retrieve)`: `{name}` matches one path segment."""
    regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template)
    return Route(method, re.compile(f"^{regex}$"), handler)


R = TypeVar("R", bound=Record)


def list_page(
    call: Call,
    collection: Collection[R],
    render: Callable[[Store, R], Json],
    *,
    url: str,
    equal: dict[str, Any] | None = None,
    predicate: Callable[[R], bool] | None = None,
    created_param: bool = True,
) -> Json:
    """Stripe's list object for `collection`, honouring limit, starting_after, ending_before and
    created[gt|gte|lt|lte] from the call's parameters; `equal` are indexed filters."""
    params = call.params
    limit = params.integer("limit", minimum=1, maximum=100) or 10
    starting_after = params.string("starting_after")
    ending_before = params.string("ending_before")
    created = created_range(params) if created_param else None
    params.finish()
    items, has_more = collection.page(
        equal={name: value for name, value in (equal or {}).items() if value is not None},
        created=created,
        limit=limit,
        starting_after=starting_after,
        ending_before=ending_before,
        predicate=predicate,
    )
    return list_object(url, [render(call.store, item) for item in items], has_more)


def list_object(url: str, data: Sequence[Json], has_more: bool) -> Json:
    return {"object": "list", "data": list(data), "has_more": has_more, "url": url}


def created_range(params: Params) -> CreatedRange | None:
    if not params.has("created"):
        return None
    value = params.raw()["created"]
    if isinstance(value, str):
        exact = params.integer("created")
        return CreatedRange(gte=exact, lte=exact)
    nested = params.need_nested("created")
    bounds = CreatedRange(
        gt=nested.integer("gt"), gte=nested.integer("gte"), lt=nested.integer("lt"), lte=nested.integer("lte")
    )
    nested.finish()
    return bounds

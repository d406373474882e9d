"""Objects of one kind, in creation order, with the indexes Stripe's list endpoints filter by.

Lists are newest first and paginate by cursor (`starting_after` / `ending_before` an id). Every
object's position is known by id, each indexed field maps a value to the ascending positions
holding it, and positions ascend with `created` (the server's clock never runs backwards), so a
page costs O(log n + limit) — no scan — when the filters are indexed fields and `created` ranges.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from stripe_local.errors import no_such


class Record(Protocol):
    @property
    def id(self) -> str: ...

    @property
    def created(self) -> int: ...


T = TypeVar("T", bound=Record)


@dataclass(frozen=True, slots=True)
class CreatedRange:
    gt: int | None = None
    gte: int | None = None
    lt: int | None = None
    lte: int | None = None


class Collection(Generic[T]):
    def __init__(self, object_name: str, indexed: tuple[str, ...] = ()) -> None:
        self.object_name = object_name
        self._items: list[T] = []
        self._created: list[int] = []
        self._position: dict[str, int] = {}
        self._indexed = indexed
        self._index: dict[str, dict[Any, list[int]]] = {name: {} for name in indexed}
        self.examined = 0  # objects the last `page` looked at: what a page costs beyond O(log n)

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[T]:
        return iter(self._items)

    def __contains__(self, object_id: object) -> bool:
        return object_id in self._position

    def get(self, object_id: str) -> T | None:
        position = self._position.get(object_id)
        return None if position is None else self._items[position]

    def must(self, object_id: str) -> T:
        """An object the store's own bookkeeping says exists."""
        item = self.get(object_id)
        if item is None:
            raise LookupError(f"{self.object_name} {object_id} is missing from the store")
        return item

    def add(self, item: T) -> T:
        if self._created and item.created < self._created[-1]:
            raise ValueError("objects must be added in creation order")
        position = len(self._items)
        self._items.append(item)
        self._created.append(item.created)
        self._position[item.id] = position
        for name in self._indexed:
            value = getattr(item, name)
            if value is not None:
                self._index[name].setdefault(value, []).append(position)
        return item

    def reindex(self, item: T, name: str, old: Any) -> None:
        """Call after changing an indexed field of `item` from `old`."""
        position = self._position[item.id]
        if old is not None:
            self._index[name][old].remove(position)
        new = getattr(item, name)
        if new is not None:
            insort(self._index[name].setdefault(new, []), position)

    def counts(self, name: str) -> dict[Any, int]:
        """How many objects hold each value of the indexed field `name`."""
        return {value: len(positions) for value, positions in self._index[name].items() if positions}

    def where(self, name: str, value: Any) -> list[T]:
        """Objects whose indexed field `name` equals `value`, oldest first."""
        return [self._items[position] for position in self._index[name].get(value, ())]

    def page(
        self,
        *,
        equal: dict[str, Any] | None = None,
        created: CreatedRange | None = None,
        limit: int = 10,
        starting_after: str | None = None,
        ending_before: str | None = None,
        predicate: Callable[[T], bool] | None = None,
    ) -> tuple[list[T], bool]:
        """One page, newest first, and whether more follow in the direction of travel.
        `equal` filters must be indexed fields; `predicate` is any further (scanned) condition."""
        candidates: Sequence[int] = range(len(self._items))
        for name, value in (equal or {}).items():
            positions = self._index[name].get(value, [])
            if len(positions) < len(candidates):
                candidates = positions
        checks = [
            (name, value)
            for name, value in (equal or {}).items()
            if candidates is not self._index[name].get(value)
        ]
        low, high = 0, len(candidates)
        if created is not None:
            low, high = self._created_bounds(candidates, created)
        if starting_after is not None:
            high = min(high, bisect_left(candidates, self._cursor(starting_after, "starting_after")))
        if ending_before is not None:
            low = max(low, bisect_right(candidates, self._cursor(ending_before, "ending_before")))

        def matches(item: T) -> bool:
            return all(getattr(item, name) == value for name, value in checks) and (
                predicate is None or predicate(item)
            )

        found: list[T] = []
        backwards = ending_before is not None and starting_after is None
        steps = range(low, high) if backwards else range(high - 1, low - 1, -1)
        self.examined = 0
        for step in steps:
            self.examined += 1
            item = self._items[candidates[step]]
            if matches(item):
                if len(found) == limit:
                    return (found[::-1] if backwards else found), True
                found.append(item)
        return (found[::-1] if backwards else found), False

    def _created_bounds(self, candidates: Sequence[int], created: CreatedRange) -> tuple[int, int]:
        def key(position: int) -> int:
            return self._created[position]

        low, high = 0, len(candidates)
        if created.gte is not None:
            low = max(low, bisect_left(candidates, created.gte, key=key))
        if created.gt is not None:
            low = max(low, bisect_right(candidates, created.gt, key=key))
        if created.lte is not None:
            high = min(high, bisect_right(candidates, created.lte, key=key))
        if created.lt is not None:
            high = min(high, bisect_left(candidates, created.lt, key=key))
        return low, high

    def _cursor(self, object_id: str, param: str) -> int:
        position = self._position.get(object_id)
        if position is None:
            raise no_such(self.object_name, object_id, param=param)
        return position

"""Extension points for the apps above `learners` (enrollment, payments), registered in their
``AppConfig.ready()``. Both work inside one tenant: staff of one tenant never reach another's data.

Merge movers — ``register_merge_mover("enrollments", mover)``::

    def mover(merge: MergeContext) -> int: ...

  Called inside the merge transaction, after both accounts are locked. Re-point this app's rows
  of ``merge.tenant`` from ``merge.source`` to ``merge.target`` (enrollments, orders, history) and
  return how many rows moved; the number is kept in the audit row (learners.AccountMerge). Resolve
  conflicts (both accounts hold a seat in the same offering) the app's own way, or raise a
  ``learners.errors.MergeRefused`` with a message for the admin: the whole merge then changes
  nothing. Rows of other tenants are never touched.

Learner sources — ``register_learner_source("enrollments", source)``::

    def source(*, tenant, unit_ids, users) -> Iterable[tuple[int, str]]: ...

  "Which of these accounts may a unit admin of these units see?" ``unit_ids`` is None for staff
  who reach every unit. Yield ``(user_id, reason)`` for each account that has something with one
  of the units in this tenant (an enrollment in one of their offerings), the reason being a short
  phrase for people ("Enrolled in Welding I"). An account no source names is not found.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from identity.models import User
from tenants.models import Tenant


@dataclass(frozen=True)
class MergeContext:
    tenant: Tenant
    source: User
    target: User
    actor: User


MergeMover = Callable[[MergeContext], int]


class LearnerSource(Protocol):
    def __call__(
        self, *, tenant: Tenant, unit_ids: frozenset[int] | None, users: Sequence[User]
    ) -> Iterable[tuple[int, str]]: ...


_movers: dict[str, MergeMover] = {}
_sources: dict[str, LearnerSource] = {}


def register_merge_mover(name: str, mover: MergeMover) -> None:
    if name in _movers:
        raise ValueError(f"Merge mover {name!r} is already registered.")
    _movers[name] = mover


def register_learner_source(name: str, source: LearnerSource) -> None:
    if name in _sources:
        raise ValueError(f"Learner source {name!r} is already registered.")
    _sources[name] = source


def merge_movers() -> dict[str, MergeMover]:
    return dict(_movers)


def learner_sources() -> dict[str, LearnerSource]:
    return dict(_sources)

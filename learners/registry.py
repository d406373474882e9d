"""Extension points for the apps above `learners` (enrollment, payments), registered in their
``AppConfig.ready()``. Both work inside one tenant: staff of one tenant never reach another's data.

Merge movers — ``merge_movers.register("enrollments", mover)``::

    def mover(merge: MergeContext) -> int: ...

  Called inside the merge transaction, after both accounts are locked. Re-point this app's rows
  of ``merge.tenant`` from ``merge.source`` to ``merge.target`` (enrollments, orders, history) and
  return how many rows moved; the number is kept in the audit row (learners.AccountMerge). Resolve
  conflicts (both accounts hold a seat in the same offering) the app's own way, or raise a
  ``learners.errors.MergeRefused`` with a message for the admin: the whole merge then changes
  nothing. Rows of other tenants are never touched.

Learner sources — ``learner_sources.register("enrollments", source)``::

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

from core.registry import Registry
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


merge_movers: Registry[MergeMover] = Registry("merge mover")
learner_sources: Registry[LearnerSource] = Registry("learner source")

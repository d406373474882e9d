"""What apps above enrollment add, registered at start-up (core.registry)::

extensions.my_learning.register("payments", provider)
    # provider(*, tenant, learner, enrollment_ids) -> {enrollment_id: Extra}
    # (payments: a paid enrollment's cancel page and its refund's progress)
extensions.hold_cancelled_listeners.register("close checkout", listener)
    # listener(*, tenant_id, enrollment_id) -> None, after the commit that cancelled a
    # held seat (payments: close its open checkout)
extensions.cancellation_notes_providers.register("refund", provider)
    # provider(*, enrollment) -> list[str]: sentences the learner's "enrollment cancelled"
    # e-mail adds (payments: what is refunded)
extensions.completion_listeners.register("credentials", listener)
    # listener(change: CompletionChanged) -> None, after the commit that recorded or corrected
    # a completion (credentials: issue the credential, or revoke what the old record earned)
extensions.completion_batch_listeners.register("credentials", listener)
    # listener(changes: list[CompletionChanged]) -> None, after the commit that recorded many
    # at once (completions_apply: a file, the roster's bulk action), instead of the
    # completion listener of the same name once per change (credentials: one job per batch)
extensions.status_listeners.register("access", listener)
    # listener(change: StatusChanged) -> None, after the commit of any recorded change of an
    # enrollment (its audit row): a seat confirmed, cancelled, expired, moved (access: provision
    # into the LMS course, or take the learner out)
extensions.status_recorders.register("webhooks", recorder)
    # recorder(change: StatusChanged) -> None, called inside the transaction that recorded the
    # change, before it commits: rows it writes (an outbox of webhook deliveries) commit or roll
    # back with the change; an error it raises fails the change. Keep it to a few queries.
extensions.roster_extras.register("access", provider)
    # provider(*, tenant, offering, enrollment_ids) -> RosterExtra: a line under learners on the
    # offering's roster (access: "LMS: In the course", with a "Retry" action) and actions for
    # the whole roster ("Read completions from the LMS now"); actions are POST buttons
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial

from django.db import transaction

from catalog.models import Offering
from core.registry import Registry, after_commit, call_each
from enrollment.models import Enrollment
from identity.models import User
from tenants.models import Tenant


@dataclass(frozen=True)
class Extra:
    cancel_url: str = ""  # cancel here instead (e.g. with a refund); "" keeps enrollment's own page
    notes: tuple[str, ...] = field(default_factory=tuple)  # e.g. "Refund of $1,250.00 pending"
    # (label, url) links shown as the enrollment's actions, e.g. ("Go to your course", …)
    links: tuple[tuple[str, str], ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class RosterAction:
    """A button on the roster that POSTs (with the CSRF token) to `url`."""

    label: str
    url: str


@dataclass(frozen=True)
class RosterNote:
    """A line shown with one learner on the roster; `problem` marks it as needing attention."""

    text: str
    problem: bool = False
    actions: tuple[RosterAction, ...] = ()


@dataclass(frozen=True)
class RosterExtra:
    notes: dict[int, tuple[RosterNote, ...]] = field(default_factory=dict)  # by enrollment id
    actions: tuple[RosterAction, ...] = ()  # for the whole offering


@dataclass(frozen=True)
class CompletionChanged:
    """A completion was recorded or corrected (enrollment.services.completion)."""

    tenant_id: int
    enrollment_id: int
    completed: bool  # the enrollment is completed now (False: recorded as not completed)
    corrected: bool  # this replaced an earlier record (what that one earned no longer holds)
    reason: str  # the correction's reason ("" for a first record)
    actor_id: int | None  # staff who recorded it; None from the LMS or a job


@dataclass(frozen=True)
class StatusChanged:
    """An enrollment changed (enrollment.services._common.record wrote its audit row)."""

    tenant_id: int
    enrollment_id: int
    action: str  # the audit row's action: "confirmed", "cancelled", "moved", …
    from_status: str
    to_status: str


Provider = Callable[..., dict[int, Extra]]
HoldListener = Callable[..., None]
NotesProvider = Callable[..., list[str]]
CompletionListener = Callable[[CompletionChanged], None]
CompletionBatchListener = Callable[[list[CompletionChanged]], None]
StatusListener = Callable[[StatusChanged], None]
RosterProvider = Callable[..., RosterExtra]

logger = logging.getLogger(__name__)

my_learning: Registry[Provider] = Registry("My learning provider")
hold_cancelled_listeners: Registry[HoldListener] = Registry("hold-cancelled listener")
cancellation_notes_providers: Registry[NotesProvider] = Registry("cancellation notes provider")
completion_listeners: Registry[CompletionListener] = Registry("completion listener")
completion_batch_listeners: Registry[CompletionBatchListener] = Registry("completion batch listener")
status_listeners: Registry[StatusListener] = Registry("enrollment status listener")
status_recorders: Registry[StatusListener] = Registry("enrollment status recorder")
roster_extras: Registry[RosterProvider] = Registry("roster extra provider")


def extras_for(*, tenant: Tenant, learner: User, enrollment_ids: Iterable[int]) -> dict[int, Extra]:
    ids = list(enrollment_ids)
    found: dict[int, Extra] = {}
    for provider in my_learning:
        for enrollment_id, extra in provider(tenant=tenant, learner=learner, enrollment_ids=ids).items():
            before = found.get(enrollment_id, Extra())
            found[enrollment_id] = Extra(
                cancel_url=extra.cancel_url or before.cancel_url,
                notes=before.notes + extra.notes,
                links=before.links + extra.links,
            )
    return found


def roster_extras_for(*, tenant: Tenant, offering: Offering, enrollment_ids: Iterable[int]) -> RosterExtra:
    """What the apps above add to an offering's roster, merged."""
    ids = list(enrollment_ids)
    notes: dict[int, tuple[RosterNote, ...]] = {}
    actions: tuple[RosterAction, ...] = ()
    for provider in roster_extras:
        extra = provider(tenant=tenant, offering=offering, enrollment_ids=ids)
        for enrollment_id, found in extra.notes.items():
            notes[enrollment_id] = notes.get(enrollment_id, ()) + found
        actions += extra.actions
    return RosterExtra(notes=notes, actions=actions)


def hold_cancelled(*, tenant_id: int, enrollment_id: int) -> None:
    """A held seat was cancelled in the current transaction: tell the listeners once it commits."""
    after_commit(hold_cancelled_listeners, tenant_id=tenant_id, enrollment_id=enrollment_id)


def cancellation_notes(*, enrollment: Enrollment) -> list[str]:
    """What the apps above add to the e-mail telling a learner their enrollment was cancelled."""
    return [note for provider in cancellation_notes_providers for note in provider(enrollment=enrollment)]


def completion_changed(change: CompletionChanged) -> None:
    """A completion was recorded or corrected in the current transaction: tell the listeners
    once it commits."""
    after_commit(completion_listeners, change)


def completions_changed(changes: list[CompletionChanged]) -> None:
    """Many completions were recorded in the current transaction: once it commits, each
    completion listener hears them, as one list when it has a batch listener of its name, else
    one by one."""
    if not changes:
        return
    changes = list(changes)

    def notify() -> None:
        for name, listener in completion_listeners.items():
            batch = completion_batch_listeners.get(name)
            calls = [partial(batch, changes)] if batch else [partial(listener, c) for c in changes]
            for call in calls:
                try:
                    call()
                except Exception:  # one receiver's failure must not undo or hide the committed change
                    logger.exception("completion listener %r failed after commit", name)

    transaction.on_commit(notify)


def status_changed(change: StatusChanged) -> None:
    """An enrollment changed in the current transaction: the recorders hear of it now, in the
    transaction; the listeners once it commits (nothing is scheduled when no app listens)."""
    call_each(status_recorders, change)
    if len(status_listeners):
        after_commit(status_listeners, change)

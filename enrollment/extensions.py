"""What apps above enrollment add, registered at start-up.

register_my_learning(fn)   # fn(*, tenant, learner, enrollment_ids) -> {enrollment_id: Extra}
                           # (payments: a paid enrollment's cancel page and its refund's progress)
register_hold_cancelled(fn)  # fn(*, tenant_id, enrollment_id) -> None, after the commit that
                           # cancelled a held seat (payments: close its open checkout)
register_cancellation_notes(fn)  # fn(*, enrollment) -> list[str]: sentences the learner's
                           # "enrollment cancelled" e-mail adds (payments: what is refunded)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial

from django.db import transaction

from enrollment.models import Enrollment
from identity.models import User
from tenants.models import Tenant


@dataclass(frozen=True)
class Extra:
    cancel_url: str = ""  # cancel here instead (e.g. with a refund); "" keeps enrollment's own page
    notes: tuple[str, ...] = field(default_factory=tuple)  # e.g. "Refund of $1,250.00 pending"


Provider = Callable[..., dict[int, Extra]]
_providers: list[Provider] = []


def register_my_learning(provider: Provider) -> Provider:
    if provider not in _providers:
        _providers.append(provider)
    return provider


def extras_for(*, tenant: Tenant, learner: User, enrollment_ids: Iterable[int]) -> dict[int, Extra]:
    ids = list(enrollment_ids)
    found: dict[int, Extra] = {}
    for provider in _providers:
        for enrollment_id, extra in provider(tenant=tenant, learner=learner, enrollment_ids=ids).items():
            before = found.get(enrollment_id, Extra())
            found[enrollment_id] = Extra(
                cancel_url=extra.cancel_url or before.cancel_url, notes=before.notes + extra.notes
            )
    return found


HoldListener = Callable[..., None]
_hold_listeners: list[HoldListener] = []


def register_hold_cancelled(listener: HoldListener) -> HoldListener:
    if listener not in _hold_listeners:
        _hold_listeners.append(listener)
    return listener


def hold_cancelled(*, tenant_id: int, enrollment_id: int) -> None:
    """A held seat was cancelled in the current transaction: tell the listeners once it commits."""
    for listener in _hold_listeners:
        transaction.on_commit(partial(listener, tenant_id=tenant_id, enrollment_id=enrollment_id))


NotesProvider = Callable[..., list[str]]
_cancellation_notes: list[NotesProvider] = []


def register_cancellation_notes(provider: NotesProvider) -> NotesProvider:
    if provider not in _cancellation_notes:
        _cancellation_notes.append(provider)
    return provider


def cancellation_notes(*, enrollment: Enrollment) -> list[str]:
    """What the apps above add to the e-mail telling a learner their enrollment was cancelled."""
    return [note for provider in _cancellation_notes for note in provider(enrollment=enrollment)]

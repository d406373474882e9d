"""A learner's record as people read it: on My learning record, its share page and the printable
transcript (credentials.services.record gathers it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.urls import reverse
from django.utils.dateformat import format as date_format
from django.utils.translation import gettext as _

from credentials.presenters import credits_text
from credentials.services.record import LearnerRecord, RecordEntry, StackProgress


def _day(value: date | None) -> str:
    return date_format(value, "j F Y") if value else ""


@dataclass(frozen=True)
class EntryRow:
    title: str
    unit_name: str
    credits: str  # "3 CEU", or ""
    result: str
    on: str
    is_prior_learning: bool
    prior_learning_note: str  # "Recognised prior learning: Intro to Python, from Gamma Polytechnic"
    share_path: str  # the credential's share page, "" for prior learning


@dataclass(frozen=True)
class UnitGroup:
    unit_name: str
    rows: tuple[EntryRow, ...]


@dataclass(frozen=True)
class PartRow:
    title: str
    done: bool
    how: str  # "Completed 3 May 2026", "Recognised prior learning", "Not yet"


@dataclass(frozen=True)
class StackRow:
    title: str
    unit_name: str
    earned: bool
    earned_on: str
    progress: str  # "2 of 3 parts"
    parts: tuple[PartRow, ...]
    share_path: str


@dataclass(frozen=True)
class RecordPage:
    learner_name: str
    tenant_name: str
    groups: tuple[UnitGroup, ...]
    rows: tuple[EntryRow, ...]  # every entry, oldest first (the transcript)
    stacks: tuple[StackRow, ...]
    totals: tuple[str, ...]  # "4.5 CEU", "6 ECTS credits"
    is_empty: bool


def _row(entry: RecordEntry) -> EntryRow:
    note = ""
    if entry.recognition is not None:
        what = entry.recognition.achievement_name or _("a credential")
        issuer = entry.recognition.issuer_name
        note = (
            _("Recognised prior learning: %(what)s, from %(issuer)s") % {"what": what, "issuer": issuer}
            if issuer
            else _("Recognised prior learning: %(what)s") % {"what": what}
        )
    return EntryRow(
        title=entry.title,
        unit_name=entry.unit_name,
        credits=credits_text(entry.credits, entry.credit_type),
        result=entry.result,
        on=_day(entry.on),
        is_prior_learning=entry.is_prior_learning,
        prior_learning_note=note,
        share_path=(
            reverse("credential-share", args=[entry.credential.public_id])
            if entry.credential is not None
            else ""
        ),
    )


def _part_how(entry: RecordEntry | None) -> str:
    if entry is None:
        return _("Not yet")
    if entry.is_prior_learning:
        return _("Recognised prior learning")
    return _("Completed %(date)s") % {"date": _day(entry.on)} if entry.on else _("Completed")


def _stack(stack: StackProgress) -> StackRow:
    entry = stack.entry
    return StackRow(
        title=stack.microcredential.title,
        unit_name=stack.microcredential.unit.name,
        earned=entry is not None,
        earned_on=_day(entry.on) if entry is not None else "",
        progress=_("%(done)d of %(total)d parts") % {"done": stack.parts_done, "total": len(stack.parts)},
        parts=tuple(
            PartRow(title=p.microcredential.title, done=p.entry is not None, how=_part_how(p.entry))
            for p in stack.parts
        ),
        share_path=(
            reverse("credential-share", args=[entry.credential.public_id])
            if entry is not None and entry.credential is not None
            else ""
        ),
    )


def record_page(record: LearnerRecord) -> RecordPage:
    rows = tuple(_row(entry) for entry in record.entries)
    by_unit: dict[str, list[EntryRow]] = {}
    for row in rows:
        by_unit.setdefault(row.unit_name, []).append(row)
    learner = record.learner
    return RecordPage(
        learner_name=learner.full_name or learner.preferred_name or "",
        tenant_name=record.tenant.name,
        groups=tuple(UnitGroup(unit_name=name, rows=tuple(items)) for name, items in sorted(by_unit.items())),
        rows=rows,
        stacks=tuple(_stack(stack) for stack in record.stacks),
        totals=tuple(credits_text(total.value, total.credit_type) for total in record.totals),
        is_empty=record.is_empty,
    )

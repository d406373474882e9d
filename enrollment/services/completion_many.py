"""Many completions at once (the roster's bulk action, CSV uploads, the bulk API, the LMS):
`completions_apply` checks every row before anything is saved, then, as `mode` says, saves all
or nothing (ALL_OR_NOTHING: one refused row and nothing is saved) or the good rows only
(GOOD_ROWS). What one record means, and how it is corrected: enrollment.services.completion.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog import selectors as catalog_selectors
from catalog.models import Offering
from core.errors import MicrocredError
from enrollment import extensions
from enrollment.models import (
    CompletionRecord,
    CompletionSource,
    Enrollment,
    EnrollmentEvent,
    EnrollmentStatus,
)
from enrollment.services._common import (
    check_transition,
    lock_enrollment,
    lock_enrollments,
    lock_offering,
)
from enrollment.services.completion import (
    ALL_OR_NOTHING,
    MODES,
    RECORDABLE,
    O,
    S,
    check,
    invalid_field,
    record_locked,
    today_for,
    unchanged,
)
from identity.models import User
from tenants.errors import NotVisible
from tenants.models import Tenant
from tenants.selectors import StaffAccess


@dataclass(frozen=True)
class Wanted:
    """One completion asked for: from a CSV line (`line`), a roster checkbox or an API item.
    The learner by `enrollment_id` or `email` (both: they must agree). `problem`: what the
    file's reader already found wrong with the line."""

    line: int | None = None
    enrollment_id: int | None = None
    email: str = ""
    outcome: str = O.COMPLETED
    result: str = ""
    on: date | None = None
    problem: str = ""


@dataclass(frozen=True)
class Line:
    """One asked-for completion in a report, and what became of it."""

    line: int | None
    enrollment_id: int | None
    email: str
    outcome: str
    result: str
    on: date | None
    message: str = ""  # why it was refused (refused lines only)
    credits: str = ""  # what it awarded, like "3.00 ceu" (saved lines only)


@dataclass
class Report:
    mode: str
    saved: list[Line] = field(default_factory=list)
    unchanged: list[Line] = field(default_factory=list)  # already recorded exactly so
    refused: list[Line] = field(default_factory=list)
    # Good lines not saved because another was refused (all or nothing).
    not_saved: list[Line] = field(default_factory=list)

    @property
    def applied(self) -> bool:
        """Whether the good lines were saved."""
        return not (self.mode == ALL_OR_NOTHING and self.refused)


def _line(wanted: Wanted, enrollment: Enrollment | None, message: str = "", credits: str = "") -> Line:
    return Line(
        line=wanted.line,
        enrollment_id=enrollment.pk if enrollment else wanted.enrollment_id,
        email=enrollment.learner.email if enrollment else wanted.email,
        outcome=wanted.outcome,
        result=wanted.result.strip(),
        on=wanted.on,
        message=message,
        credits=credits,
    )


class _Abort(Exception):
    pass


def completions_apply(
    *,
    tenant: Tenant,
    access: StaffAccess,
    actor: User,
    offering_id: int,
    wanted: list[Wanted],
    mode: str = ALL_OR_NOTHING,
    source: str = CompletionSource.STAFF,
    reason: str = "",
    now: datetime | None = None,
) -> Report:
    """Check every wanted completion of one offering, then save all (ALL_OR_NOTHING, nothing if
    one is refused) or the good ones (GOOD_ROWS). `reason` applies to every line (corrections
    need one). Rows are locked in id order under the offering's lock, in one transaction."""
    if mode not in MODES:
        raise invalid_field("mode", _("Choose “all or nothing” or “save only the good rows”."))
    now = now or timezone.now()
    reason = reason.strip()[:500]
    offering = catalog_selectors.offering_for_staff(tenant=tenant, access=access, offering_id=offering_id)
    report = Report(mode=mode)
    enrollments = Enrollment.objects.filter(tenant=tenant, offering=offering).select_related("learner")
    by_id = {e.pk: e for e in enrollments}
    # What the refusals may tell apart stays within the staff member's own offerings: another
    # unit's enrollment ids and the platform's other accounts are "no such".
    visible = Enrollment.objects.filter(
        tenant=tenant, offering__in=catalog_selectors.offerings_for_staff(tenant=tenant, access=access)
    )
    elsewhere = {e.pk: e for e in visible.filter(pk__in=[w.enrollment_id for w in wanted if w.enrollment_id])}
    by_email: dict[str, Enrollment] = {}
    for e in sorted(by_id.values(), key=lambda e: e.status not in RECORDABLE):  # recordable first
        by_email.setdefault(e.learner.email.lower(), e)
    known_emails = set(
        visible.annotate(lowered=Lower("learner__email"))
        .filter(lowered__in=[w.email.lower() for w in wanted if w.email])
        .values_list("lowered", flat=True)
    )
    # Each enrollment's current record: the newest (the same rule as current_record), one query.
    currents = {
        r.enrollment_id: r
        for r in CompletionRecord.objects.filter(enrollment__in=list(by_id))
        .order_by("enrollment_id", "-pk")
        .distinct("enrollment_id")
    }
    seen: dict[int, int | None] = {}
    good: list[tuple[Wanted, Enrollment]] = []
    for w in wanted:
        enrollment: Enrollment | None = None
        try:
            if w.problem:
                raise MicrocredError(w.problem)
            enrollment = _find(w, by_id, by_email, elsewhere, known_emails)
            if enrollment.pk in seen:
                where = seen[enrollment.pk]
                raise MicrocredError(
                    _("Duplicate: this learner is already on line %(n)d.") % {"n": where}
                    if where
                    else _("Duplicate: this learner is listed twice.")
                )
            seen[enrollment.pk] = w.line
            if w.on is None:
                raise invalid_field("date", _("No completion date."))
            check(
                enrollment,
                offering,
                currents.get(enrollment.pk),
                outcome=w.outcome,
                result=w.result.strip(),
                on=w.on,
                reason=reason,
                now=now,
            )
        except MicrocredError as exc:
            report.refused.append(_line(w, enrollment, message=exc.message))
        else:
            good.append((w, enrollment))
    if not report.applied:
        report.not_saved = [_line(w, e) for w, e in good]
        return report
    try:
        with transaction.atomic():
            offering = lock_offering(tenant=tenant, offering_id=offering.pk)
            todo = sorted(good, key=lambda pair: pair[1].pk)
            settings = _Settings(source=source, actor=actor, reason=reason, now=now, mode=mode)
            refused_before = len(report.refused)
            try:
                with transaction.atomic():
                    changes = _record_all_locked(tenant, offering, todo, settings, report)
            except IntegrityError:  # a write that bypassed the locks: row by row, each on its own
                report.saved, report.unchanged = [], []
                del report.refused[refused_before:]
                changes = _record_each_locked(tenant, offering, todo, settings, report)
            extensions.completions_changed(changes)
    except _Abort:
        refused = {line.enrollment_id for line in report.refused}
        report.saved, report.unchanged = [], []
        report.not_saved = [_line(w, e) for w, e in good if e.pk not in refused]
    for lines in (report.saved, report.unchanged, report.refused, report.not_saved):
        lines.sort(key=lambda line: line.line or 0)
    return report


@dataclass(frozen=True)
class _Settings:
    source: str
    actor: User | None
    reason: str
    now: datetime
    mode: str


@dataclass(frozen=True)
class _Planned:
    wanted: Wanted
    unlocked: Enrollment  # as read for the checks (its learner loaded, for the report)
    enrollment: Enrollment  # locked
    current: CompletionRecord | None
    outcome: str
    result: str
    on: date
    to_status: EnrollmentStatus


def _record_all_locked(
    tenant: Tenant, offering: Offering, todo: list[tuple[Wanted, Enrollment]], how: _Settings, report: Report
) -> list[extensions.CompletionChanged]:
    """A file's completions, under the offering's lock: its enrollments locked in id order in one
    statement and each checked again against its locked row and current record (what
    `_record_locked` checks, and refuses the same way), then the records, the new states and the
    events written in a few statements for the whole file. The changes, for the listeners."""
    ids = [e.pk for _w, e in todo]
    locked = lock_enrollments(tenant=tenant, enrollment_ids=ids)
    currents = _currents(ids)
    planned: list[_Planned] = []
    for w, e in todo:
        result, on = w.result.strip(), w.on or today_for(offering, how.now)
        try:
            enrollment = locked.get(e.pk)
            if enrollment is None:
                raise NotVisible(_("No such enrollment."))
            current = currents.get(e.pk)
            check(
                enrollment,
                offering,
                current,
                outcome=w.outcome,
                result=result,
                on=on,
                reason=how.reason,
                now=how.now,
            )
            if current is not None and unchanged(current, w.outcome, result, on):
                report.unchanged.append(_line(w, e))
                continue
            to_status = S.COMPLETED if w.outcome == O.COMPLETED else S.CONFIRMED
            if enrollment.status != to_status:
                check_transition(enrollment, to_status, correction=current is not None)
        except MicrocredError as exc:  # changed between the check and the lock
            report.refused.append(_line(w, e, message=exc.message))
            if how.mode == ALL_OR_NOTHING:
                raise _Abort from exc
            continue
        planned.append(_Planned(w, e, enrollment, current, w.outcome, result, on, to_status))
    if not planned:
        return []
    microcredential = offering.microcredential
    records = CompletionRecord.objects.bulk_create(
        [
            CompletionRecord(
                tenant_id=p.enrollment.tenant_id,
                enrollment=p.enrollment,
                replaces=p.current,
                outcome=p.outcome,
                result=p.result,
                completed_on=p.on,
                credit_value=microcredential.credit_value if p.outcome == O.COMPLETED else Decimal(0),
                credit_type=microcredential.credit_type,
                level=microcredential.level,
                source=how.source,
                actor=how.actor,
                reason=how.reason,
                recorded_at=how.now,
            )
            for p in planned
        ]
    )
    moves: dict[str, list[int]] = {}
    for p in planned:
        if p.enrollment.status != p.to_status:
            moves.setdefault(p.to_status, []).append(p.enrollment.pk)
    for new_status, moved in moves.items():  # as transition(): the expiries go with the old state
        Enrollment.objects.filter(pk__in=moved).update(
            status=new_status, hold_expires_at=None, offer_expires_at=None, updated_at=how.now
        )
    events = []
    for p, new in zip(planned, records, strict=True):
        details = {
            "record": new.pk,
            "outcome": p.outcome,
            "result": p.result,
            "date": p.on.isoformat(),
            "credits": f"{new.credit_value} {new.credit_type}",
            "source": how.source,
        }
        events.append(
            EnrollmentEvent(
                tenant_id=p.enrollment.tenant_id,
                enrollment=p.enrollment,
                actor=how.actor,
                action="completion_corrected" if p.current is not None else str(p.outcome),
                from_status=p.enrollment.status,
                to_status=p.to_status,
                reason=how.reason[:500],
                details=details,
                at=how.now,
            )
        )
    EnrollmentEvent.objects.bulk_create(events)
    changes = []
    for p, new, event in zip(planned, records, events, strict=True):
        extensions.status_changed(
            extensions.StatusChanged(
                tenant_id=event.tenant_id,
                enrollment_id=p.enrollment.pk,
                action=event.action,
                from_status=event.from_status,
                to_status=event.to_status,
            )
        )
        p.enrollment.status = p.to_status
        report.saved.append(_line(p.wanted, p.unlocked, credits=f"{new.credit_value} {new.credit_type}"))
        changes.append(
            extensions.CompletionChanged(
                tenant_id=p.enrollment.tenant_id,
                enrollment_id=p.enrollment.pk,
                completed=p.outcome == O.COMPLETED,
                corrected=p.current is not None,
                reason=how.reason,
                actor_id=how.actor.pk if how.actor else None,
            )
        )
    return changes


def _record_each_locked(
    tenant: Tenant, offering: Offering, todo: list[tuple[Wanted, Enrollment]], how: _Settings, report: Report
) -> list[extensions.CompletionChanged]:
    """The file's completions one by one, each in a savepoint of its own (a row the database
    refuses is refused alone)."""
    changes: list[extensions.CompletionChanged] = []
    for w, e in todo:
        heard: list[extensions.CompletionChanged] = []
        try:
            with transaction.atomic():
                locked = lock_enrollment(tenant=tenant, enrollment_id=e.pk)
                done = record_locked(
                    offering,
                    locked,
                    outcome=w.outcome,
                    result=w.result.strip(),
                    on=w.on or today_for(offering, how.now),
                    source=how.source,
                    actor=how.actor,
                    reason=how.reason,
                    now=how.now,
                    notify=heard.append,
                )
        except (MicrocredError, IntegrityError) as exc:  # changed between the check and the lock
            message = exc.message if isinstance(exc, MicrocredError) else _("Changed meanwhile.")
            report.refused.append(_line(w, e, message=message))
            if how.mode == ALL_OR_NOTHING:
                raise _Abort from exc
            continue
        changes.extend(heard)  # its savepoint held: the listeners hear of it after commit
        if done.changed:
            report.saved.append(_line(w, e, credits=f"{done.record.credit_value} {done.record.credit_type}"))
        else:
            report.unchanged.append(_line(w, e))
    return changes


def _currents(enrollment_ids: list[int]) -> dict[int, CompletionRecord]:
    """Each enrollment's current record: the newest (the same rule as current_record), one query."""
    return {
        r.enrollment_id: r
        for r in CompletionRecord.objects.filter(enrollment__in=enrollment_ids)
        .order_by("enrollment_id", "-pk")
        .distinct("enrollment_id")
    }


def _find(
    w: Wanted,
    by_id: dict[int, Enrollment],
    by_email: dict[str, Enrollment],
    elsewhere: dict[int, Enrollment],
    known_emails: set[str],
) -> Enrollment:
    if w.enrollment_id is not None:
        enrollment = by_id.get(w.enrollment_id)
        if enrollment is None:
            if w.enrollment_id in elsewhere:
                raise MicrocredError(_("This enrollment is not in this offering."))
            raise MicrocredError(_("No enrollment with this id."))
        if w.email and enrollment.learner.email.lower() != w.email.lower():
            raise MicrocredError(_("The e-mail address is not this enrollment's learner's."))
        return enrollment
    if not w.email:
        raise MicrocredError(_("No e-mail address or enrollment id."))
    enrollment = by_email.get(w.email.lower())
    if enrollment is None:
        if w.email.lower() in known_emails:
            raise MicrocredError(_("This learner is not enrolled in this offering."))
        raise MicrocredError(_("No learner with this e-mail address in your offerings."))
    return enrollment

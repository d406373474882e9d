"""Completion: what staff (or the LMS) record about a confirmed learner at the end of the course.

One write, `completion_record`, takes the enrollment, the outcome (completed / not completed), a
result, the date, where it came from (staff, csv, api, lms), who (None for the LMS) and a reason:

- first record, completed: confirmed → completed (event `completed`), with the credits the
  microcredential awards now, snapshotted on the record;
- first record, not completed: the enrollment stays confirmed (event `not_completed`);
- the same outcome, result and date as the current record: nothing changes, no event, no
  listener call (the LMS can send the same thing again and again);
- anything else is a correction: a reason is required; a new record replaces the current one,
  and completed → not completed takes the enrollment back to confirmed (only a correction may).

Each runs under the offering's lock, then the enrollment's (enrollment.services._common), so two
calls for one enrollment at once make exactly one record; the database also refuses a second
first record. After the commit, enrollment.extensions.completion_changed tells the listeners
(credentials) once per change; `completions_apply` tells them of its changes together
(extensions.completions_changed).

Many at once (the roster's bulk action, CSV uploads, the bulk API): completion_many.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog import selectors as catalog_selectors
from catalog.models import Offering
from core.dates import local
from enrollment import extensions
from enrollment.errors import CompletionRefused, EnrollmentInvalid
from enrollment.models import (
    RESULT_MAX_LENGTH,
    CompletionOutcome,
    CompletionRecord,
    CompletionSource,
    Enrollment,
    EnrollmentStatus,
)
from enrollment.services._common import (
    enrollment_of,
    lock_enrollment,
    lock_offering,
    record,
    transition,
)
from identity.models import User
from tenants.models import Tenant
from tenants.selectors import StaffAccess

S = EnrollmentStatus
O = CompletionOutcome  # noqa: E741 - as S is for states
ALL_OR_NOTHING = "all_or_nothing"
GOOD_ROWS = "good_rows"
MODES = (ALL_OR_NOTHING, GOOD_ROWS)
RECORDABLE = frozenset({S.CONFIRMED, S.COMPLETED})


@dataclass(frozen=True)
class Recorded:
    record: CompletionRecord  # the record that holds now
    changed: bool  # False: the same thing was already recorded (nothing written)


def current_record(enrollment_id: int) -> CompletionRecord | None:
    """The record that holds now: the newest, the one nothing replaces."""
    return CompletionRecord.objects.filter(enrollment_id=enrollment_id).order_by("-pk").first()


def today_for(offering: Offering, now: datetime | None = None) -> date:
    return local(now or timezone.now(), offering.tz).date()


def invalid_field(field_name: str, message: str) -> EnrollmentInvalid:
    return EnrollmentInvalid(message, fields={field_name: [message]})


def check(
    enrollment: Enrollment,
    offering: Offering,
    current: CompletionRecord | None,
    *,
    outcome: str,
    result: str,
    on: date,
    reason: str,
    now: datetime,
) -> None:
    """Why this completion cannot be recorded (a MicrocredError), given the enrollment's current
    record (None for a first). Read-only: the bulk and CSV paths run it on every row before
    saving any."""
    if outcome not in O.values:
        raise invalid_field("outcome", _("The outcome is “completed” or “not_completed”."))
    if len(result) > RESULT_MAX_LENGTH:
        raise invalid_field(
            "result",
            _("The result is at most %(n)d characters, like “A” or “87/100”.") % {"n": RESULT_MAX_LENGTH},
        )
    if enrollment.status not in RECORDABLE:
        raise CompletionRefused(
            _("Only a confirmed learner can complete: this enrollment is %(state)s.")
            % {"state": S(enrollment.status).label.lower()}
        )
    if on > today_for(offering, now):
        raise invalid_field("date", _("The completion date cannot be in the future."))
    starts = local(offering.starts_at, offering.tz).date()
    if on < starts:
        raise invalid_field(
            "date",
            _("The completion date cannot be before the offering starts (%(date)s).")
            % {"date": starts.isoformat()},
        )
    if current is not None and not unchanged(current, outcome, result, on) and not reason:
        message = _("This learner's completion is already recorded: say why you correct it.")
        raise EnrollmentInvalid(message, code="correction_needs_reason", fields={"reason": [message]})


def unchanged(current: CompletionRecord, outcome: str, result: str, on: date) -> bool:
    return (current.outcome, current.result, current.completed_on) == (outcome, result, on)


def _clean(result: str, reason: str) -> tuple[str, str]:
    return result.strip(), reason.strip()[:500]


def completion_record(
    *,
    tenant: Tenant,
    enrollment_id: int,
    outcome: str,
    result: str = "",
    on: date | None = None,
    source: str,
    actor: User | None,
    reason: str = "",
    now: datetime | None = None,
) -> Recorded:
    """Record (or correct) one learner's completion; idempotent. `on` defaults to today in the
    offering's time zone. No access check: staff callers go through completion_record_staff."""
    if source not in CompletionSource.values:
        raise ValueError(f"unknown completion source {source!r}")
    now = now or timezone.now()
    result, reason = _clean(result, reason)
    offering_id = enrollment_of(tenant=tenant, enrollment_id=enrollment_id).offering_id
    try:
        with transaction.atomic():
            offering = lock_offering(tenant=tenant, offering_id=offering_id)
            enrollment = lock_enrollment(tenant=tenant, enrollment_id=enrollment_id)
            return record_locked(
                offering,
                enrollment,
                outcome=outcome,
                result=result,
                on=on or today_for(offering, now),
                source=source,
                actor=actor,
                reason=reason,
                now=now,
            )
    except IntegrityError as exc:  # only if a write bypassed the locks: refuse, never a 500
        raise CompletionRefused(_("This completion changed meanwhile. Try again.")) from exc


def record_locked(
    offering: Offering,
    enrollment: Enrollment,
    *,
    outcome: str,
    result: str,
    on: date,
    source: str,
    actor: User | None,
    reason: str,
    now: datetime,
    notify: Callable[[extensions.CompletionChanged], None] = extensions.completion_changed,
) -> Recorded:
    """`notify`: what hears of the change (the listeners after commit; completions_apply
    gathers a file's changes and tells them together)."""
    current = current_record(enrollment.pk)
    check(enrollment, offering, current, outcome=outcome, result=result, on=on, reason=reason, now=now)
    if current is not None and unchanged(current, outcome, result, on):
        return Recorded(current, changed=False)
    microcredential = offering.microcredential
    completed = outcome == O.COMPLETED
    new = CompletionRecord.objects.create(
        tenant_id=enrollment.tenant_id,
        enrollment=enrollment,
        replaces=current,
        outcome=outcome,
        result=result,
        completed_on=on,
        credit_value=microcredential.credit_value if completed else Decimal(0),
        credit_type=microcredential.credit_type,
        level=microcredential.level,
        source=source,
        actor=actor,
        reason=reason,
        recorded_at=now,
    )
    details = {
        "record": new.pk,
        "outcome": outcome,
        "result": result,
        "date": on.isoformat(),
        "credits": f"{new.credit_value} {new.credit_type}",
        "source": source,
    }
    action = "completion_corrected" if current is not None else str(outcome)
    to_status = S.COMPLETED if completed else S.CONFIRMED
    if enrollment.status != to_status:
        transition(
            enrollment,
            to_status,
            actor=actor,
            action=action,
            now=now,
            reason=reason,
            details=details,
            correction=current is not None,
        )
    else:
        record(
            enrollment,
            actor=actor,
            action=action,
            from_status=enrollment.status,
            to_status=to_status,
            now=now,
            reason=reason,
            details=details,
        )
    notify(
        extensions.CompletionChanged(
            tenant_id=enrollment.tenant_id,
            enrollment_id=enrollment.pk,
            completed=completed,
            corrected=current is not None,
            reason=reason,
            actor_id=actor.pk if actor else None,
        )
    )
    return Recorded(new, changed=True)


def _staff_enrollment(*, tenant: Tenant, access: StaffAccess, enrollment_id: int) -> Enrollment:
    enrollment = enrollment_of(tenant=tenant, enrollment_id=enrollment_id)
    catalog_selectors.offering_for_staff(tenant=tenant, access=access, offering_id=enrollment.offering_id)
    return enrollment


def completion_record_staff(
    *,
    tenant: Tenant,
    access: StaffAccess,
    actor: User,
    enrollment_id: int,
    outcome: str,
    result: str = "",
    on: date | None = None,
    reason: str = "",
    source: str = CompletionSource.STAFF,
    now: datetime | None = None,
) -> Recorded:
    """completion_record for staff of the offering's unit (another unit's enrollment is a 404)."""
    _staff_enrollment(tenant=tenant, access=access, enrollment_id=enrollment_id)
    return completion_record(
        tenant=tenant,
        enrollment_id=enrollment_id,
        outcome=outcome,
        result=result,
        on=on,
        source=source,
        actor=actor,
        reason=reason,
        now=now,
    )

"""Provisioning: the learner into the offering's LMS course while the seat lasts, and out again.

Two steps, so that no database lock is ever held across an LMS call:

1. `provisions_plan` (one short transaction, under the enrollment's row lock): decide what
   should be and bring the enrollment's Provision rows to it. Wanted: the enrollment is
   confirmed or completed, its offering has an LMS course (`lms_course_ref`), its unit (or the
   tenant) has an active LMS connection that we push to (Moodle, Canvas; OneRoster reads our
   roster), and the access window (the offering's end plus the connection's grace days) has not
   run out. A move is a new enrollment in the other offering: its own row comes in, the old
   enrollment's goes out. A seat that ends (cancelled, refunded, moved, expired) keeps access
   `grace_days` longer: its row becomes `deprovision_due` until `deprovision_after`.
2. `provision_run` per row with LMS work due: claim it (a conditional UPDATE of `claimed_at`;
   a claim lapses after CLAIM_MINUTES, e.g. a worker died), call the LMS with no transaction
   open, inside the connection's concurrency slot (access.services.concurrency), and write the
   answer back only if the claim is still ours. A known learner costs one call (enrol); a new
   one two in Moodle (create the user, enrol; looked up only when it exists), and the LMS user
   id is kept (LmsAccount).

A retryable LMS error (5xx, timeout, rate limit) keeps the row pending with the LMS's words in
`last_error` and raises ProvisionRetry for the job to back off and try again; the job's last
try, or any error trying again cannot help (a wrong token, an unknown course), marks it
`failed` with the message, for staff to fix and retry from the roster (`provision_retry`).
Every LMS call is idempotent, and so is every step here: duplicate jobs cost nothing.
"""

from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from django.db import IntegrityError, transaction
from django.db.models import DateTimeField, Exists, ExpressionWrapper, F, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from access.errors import AccessBusy, NoSuchProvision, ProvisionRetry, RetryRefused
from access.lms.base import LmsClient, LmsError, LmsUser
from access.models import LmsAccount, LmsConnection, LmsKind, Provision, ProvisionState
from access.services.concurrency import lms_slot
from catalog import selectors as catalog_selectors
from catalog.models import Offering
from core import jobs
from core.locks import bounded_wait
from enrollment.models import Enrollment, EnrollmentStatus
from identity.models import User
from tenants.models import Tenant
from tenants.selectors import StaffAccess

logger = logging.getLogger(__name__)

S = EnrollmentStatus
P = ProvisionState
SYNC_TASK = "access.provision_sync"
# Seats that give access to the course.
KEEP = frozenset({S.CONFIRMED, S.COMPLETED})
# Kinds we push enrollments to (a OneRoster LMS reads our roster instead).
PUSHED = frozenset({LmsKind.MOODLE, LmsKind.CANVAS})
# A job that claimed a row and has not written back after this long is taken to be dead.
CLAIM_MINUTES = 10
# A pending row nobody has touched for this long had its job lost (the sweep sends it again).
PENDING_STALE_MINUTES = 5
LOCK_TIMEOUT = "5s"
SWEEP_BATCH = 500
# A job's retries on retryable LMS errors (access.tasks); a row tried this many times in all
# (however many jobs tried it: the sweep may send another meanwhile) is marked failed.
MAX_RETRIES = 6
MAX_ATTEMPTS = MAX_RETRIES + 1


def _client(connection: LmsConnection) -> LmsClient:
    """The connection's LMS client (access.lms.client_for); the one place this module gets it."""
    lms = importlib.import_module("access.lms")
    return cast(LmsClient, lms.client_for(connection))


def _subject(*, tenant_id: int, learner: User) -> str:
    """The learner's OIDC subject at this tenant (access.services.claims.subject_for), which the
    LMS's sign-in links the user to."""
    claims = importlib.import_module("access.services.claims")
    return str(claims.subject_for(tenant=Tenant.objects.get(pk=tenant_id), learner=learner))


def _busy() -> AccessBusy:
    return AccessBusy(_("This enrollment's course access is being changed just now. Try again in a moment."))


def connection_for(offering: Offering) -> LmsConnection | None:
    """The LMS an offering's learners are pushed to: its unit's, else the tenant's; None if
    neither is active (or it is one that reads our roster instead)."""
    unit_id = offering.microcredential.unit_id
    found = [
        c
        for c in LmsConnection.objects.filter(tenant_id=offering.tenant_id, is_active=True)
        if c.unit_id in (unit_id, None)
    ]
    found.sort(key=lambda c: c.unit_id is None)  # the unit's own first
    if not found or found[0].kind not in PUSHED:
        return None
    return found[0]


def access_ends(offering: Offering, connection: LmsConnection) -> datetime:
    return offering.ends_at + timedelta(days=connection.grace_days)


# --- 1. What should be ---------------------------------------------------------------------


def provisions_plan(*, enrollment_id: int, now: datetime | None = None) -> list[int]:
    """Bring the enrollment's Provision rows to what should be now; the ids of the rows with LMS
    work due (to enrol, or to take out once the grace ran out). Idempotent, no LMS call."""
    now = now or timezone.now()
    with transaction.atomic(), bounded_wait(LOCK_TIMEOUT, busy=_busy):
        enrollment = (
            Enrollment.objects.select_for_update(no_key=True, of=("self",))
            .select_related("offering__microcredential")
            .filter(pk=enrollment_id)
            .first()
        )
        if enrollment is None:
            return []
        rows = list(Provision.objects.select_for_update().filter(enrollment=enrollment).order_by("pk"))
        offering = enrollment.offering
        connection = connection_for(offering)
        course_ref = offering.lms_course_ref.strip()
        keep = (
            connection is not None
            and bool(course_ref)
            and enrollment.status in KEEP
            and now < access_ends(offering, connection)
        )
        current = next((r for r in rows if r.offering_id == offering.pk), None)
        if keep and connection is not None:
            if current is None:
                current = Provision.objects.create(
                    tenant_id=enrollment.tenant_id,
                    enrollment=enrollment,
                    offering=offering,
                    connection=connection,
                    course_ref=course_ref,
                    updated_at=now,
                )
                rows.append(current)
            else:
                _want(current, connection, course_ref, now)
        for row in rows:
            if not (keep and row is current):
                _unwant(row, enrollment, now)
        return [r.pk for r in rows if _due(r, now)]


def _want(row: Provision, connection: LmsConnection, course_ref: str, now: datetime) -> None:
    changed = False
    if not row.wanted:
        row.wanted, row.deprovision_after, changed = True, None, True
        if row.state == P.DEPROVISION_DUE:
            row.state = P.PROVISIONED  # never taken out: still in the course
        elif row.state in (P.DEPROVISIONED, P.FAILED):
            row.state, row.attempts, row.last_error = P.PENDING, 0, ""
    # Not in any course yet: follow the offering to its LMS and course as they are now.
    untouched = row.state == P.PENDING and row.provisioned_at is None and row.claimed_at is None
    if untouched and (row.connection_id, row.course_ref) != (connection.pk, course_ref):
        row.connection, row.course_ref, changed = connection, course_ref, True
    if changed:
        row.updated_at = now
        row.save()


def _unwant(row: Provision, enrollment: Enrollment, now: datetime) -> None:
    if not row.wanted:
        return
    row.wanted, row.updated_at = False, now
    untouched = row.state == P.PENDING and row.provisioned_at is None and row.claimed_at is None
    if untouched or row.state == P.DEPROVISIONED:
        row.state, row.deprovisioned_at = P.DEPROVISIONED, row.deprovisioned_at or now
        row.last_error = ""
    else:  # in the course, perhaps (a job may be enrolling just now): out after the grace days
        ended = min(enrollment.updated_at, row.offering.ends_at)
        row.state = P.DEPROVISION_DUE
        row.deprovision_after = ended + timedelta(days=row.connection.grace_days)
        row.attempts, row.last_error = 0, ""
    row.save()


def _due(row: Provision, now: datetime) -> bool:
    if row.wanted:
        return row.state == P.PENDING
    return (
        row.state == P.DEPROVISION_DUE and row.deprovision_after is not None and row.deprovision_after <= now
    )


_DUE = Q(wanted=True, state=P.PENDING) | Q(wanted=False, state=P.DEPROVISION_DUE)


# --- 2. Doing it in the LMS ------------------------------------------------------------------


@dataclass(frozen=True)
class Synced:
    enrollment_id: int
    done: int  # rows this run moved to where they should be
    skipped: int  # rows another job holds, or nothing left to do


def provision_sync(*, enrollment_id: int, final: bool = False, now: datetime | None = None) -> Synced:
    """Plan, then do the LMS work due for one enrollment. `final`: the job's last try (a
    retryable error marks the row failed instead of raising ProvisionRetry)."""
    ids = provisions_plan(enrollment_id=enrollment_id, now=now)
    done = skipped = 0
    retry: ProvisionRetry | None = None
    for provision_id in ids:
        try:
            if provision_run(provision_id=provision_id, final=final, now=now):
                done += 1
            else:
                skipped += 1
        except ProvisionRetry as exc:
            retry = retry or exc
    if retry is not None:
        raise retry
    return Synced(enrollment_id, done=done, skipped=skipped)


def _claim(provision_id: int, now: datetime) -> datetime | None:
    lapsed = now - timedelta(minutes=CLAIM_MINUTES)
    claimed = (
        Provision.objects.filter(_DUE, pk=provision_id)
        .filter(Q(wanted=True) | Q(deprovision_after__lte=now))
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=lapsed))
        .update(claimed_at=now, attempts=F("attempts") + 1, updated_at=now)
    )
    return now if claimed else None


def provision_run(*, provision_id: int, final: bool = False, now: datetime | None = None) -> bool:
    """Enrol, or take out, one row if it is due and nobody else is at it; False when there was
    nothing for this job to do. Called with no transaction open: the LMS is called unlocked."""
    now = now or timezone.now()
    claimed = _claim(provision_id, now)
    if claimed is None:
        return False
    row = Provision.objects.select_related("connection", "enrollment__learner").get(pk=provision_id)
    enrolled: str | None = None
    try:
        if row.wanted:
            enrolled = _enrol(row)
        else:
            _unenrol(row)
    except (LmsError, OSError) as exc:
        message = (
            exc.message
            if isinstance(exc, LmsError)
            else _("The LMS could not be reached (%(error)s).") % {"error": exc}
        )
        retryable = exc.retryable if isinstance(exc, LmsError) else True
        _failed(row, claimed, message, retry=retryable and not final and row.attempts < MAX_ATTEMPTS)
        return False
    except Exception as exc:  # a fault of ours or the client's: shown, never silently retried
        logger.exception("provision %s: unexpected error from the LMS client", row.pk)
        _failed(
            row,
            claimed,
            _("Unexpected error talking to the LMS (%(kind)s).") % {"kind": type(exc).__name__},
            retry=False,
        )
        return False
    return _done(row, claimed, enrolled=enrolled)


def _lms_user(row: Provision, learner: User) -> LmsUser:
    parts = learner.full_name.split()
    first = " ".join(parts[:-1]) if len(parts) > 1 else (parts[0] if parts else learner.email.split("@")[0])
    last = parts[-1] if len(parts) > 1 else ""
    return LmsUser(
        email=learner.email,
        first_name=first,
        last_name=last,
        subject=_subject(tenant_id=row.tenant_id, learner=learner),
    )


def _enrol(row: Provision) -> str:
    connection, learner = row.connection, row.enrollment.learner
    client = _client(connection)
    remote_id = (
        LmsAccount.objects.filter(connection=connection, learner=learner)
        .values_list("remote_id", flat=True)
        .first()
    )
    if remote_id is None:
        with lms_slot(connection.pk, connection.max_concurrency):
            remote_id = client.user_ensure(_lms_user(row, learner))
        try:
            with transaction.atomic():
                LmsAccount.objects.create(
                    tenant_id=row.tenant_id, connection=connection, learner=learner, remote_id=remote_id
                )
        except IntegrityError:  # another job found the same user meanwhile
            pass
    with lms_slot(connection.pk, connection.max_concurrency):
        return client.enrol(remote_user_id=remote_id, course_ref=row.course_ref)


def _unenrol(row: Provision) -> None:
    remote_id = (
        LmsAccount.objects.filter(connection=row.connection, learner_id=row.enrollment.learner_id)
        .values_list("remote_id", flat=True)
        .first()
    )
    if remote_id is None:
        return  # never had a user in this LMS: nothing to take out
    client = _client(row.connection)
    with lms_slot(row.connection.pk, row.connection.max_concurrency):
        client.unenrol(
            remote_user_id=remote_id, course_ref=row.course_ref, remote_enrollment_id=row.remote_enrollment_id
        )


def _locked_if_ours(row: Provision, claimed: datetime) -> Provision | None:
    return Provision.objects.select_for_update().filter(pk=row.pk, claimed_at=claimed).first()


def _done(row: Provision, claimed: datetime, *, enrolled: str | None) -> bool:
    now = timezone.now()
    again = False
    with transaction.atomic(), bounded_wait(LOCK_TIMEOUT, busy=_busy):
        locked = _locked_if_ours(row, claimed)
        if locked is None:  # our claim lapsed and another job took the row: its answer counts
            return False
        locked.claimed_at, locked.last_error, locked.updated_at = None, "", now
        if enrolled is not None:
            locked.remote_enrollment_id = enrolled
            locked.provisioned_at = locked.provisioned_at or now
            if locked.state == P.PENDING:
                locked.state = P.PROVISIONED
            # else: the seat ended while we were enrolling: it stays due to be taken out
        else:
            locked.deprovisioned_at = now
            if locked.wanted:  # wanted again while we took them out: back in
                locked.state, again = P.PENDING, True
            else:
                locked.state = P.DEPROVISIONED
        locked.save()
        if again:
            jobs.enqueue_after_commit(SYNC_TASK, locked.enrollment_id)
    return True


def _failed(row: Provision, claimed: datetime, message: str, *, retry: bool) -> None:
    now = timezone.now()
    with transaction.atomic(), bounded_wait(LOCK_TIMEOUT, busy=_busy):
        locked = _locked_if_ours(row, claimed)
        if locked is None:
            return
        locked.claimed_at, locked.last_error, locked.updated_at = None, message[:1000], now
        if not retry:
            locked.state = P.FAILED
        locked.save()
    logger.warning("provision %s: %s (%s)", row.pk, message, "retrying" if retry else "failed")
    if retry:
        raise ProvisionRetry(message)


# --- Staff and sweeps ------------------------------------------------------------------------


def provision_visible(*, tenant: Tenant, access: StaffAccess, provision_id: int) -> Provision:
    """A provision in an offering of the staff member's units; else "no such" (a 404)."""
    row = Provision.objects.filter(tenant=tenant, pk=provision_id).first()
    if row is None:
        raise NoSuchProvision(_("No such enrollment."))
    catalog_selectors.offering_for_staff(tenant=tenant, access=access, offering_id=row.offering_id)
    return row


def provision_retry(*, tenant: Tenant, access: StaffAccess, provision_id: int) -> Provision:
    """Staff try a failed provision again (after fixing the connection or the course): it goes
    back to pending (or due to be taken out) and its job is sent after commit."""
    row = provision_visible(tenant=tenant, access=access, provision_id=provision_id)
    with transaction.atomic(), bounded_wait(LOCK_TIMEOUT, busy=_busy):
        row = Provision.objects.select_for_update().get(pk=row.pk)
        if row.state != P.FAILED:
            raise RetryRefused(
                _("Only a failed course access can be retried; this one is %(state)s.")
                % {"state": P(row.state).label.lower()}
            )
        now = timezone.now()
        row.state = P.PENDING if row.wanted else P.DEPROVISION_DUE
        if not row.wanted:
            row.deprovision_after = min(row.deprovision_after or now, now)
        row.attempts, row.claimed_at, row.updated_at = 0, None, now
        row.save()
        jobs.enqueue_after_commit(SYNC_TASK, row.enrollment_id)
    return row


def enrollments_due(*, now: datetime | None = None, limit: int = SWEEP_BATCH) -> list[int]:
    """What the sweep sends a job for again: access whose grace ended, pending rows a lost job
    missed, claims that lapsed, access whose window (the offering's end plus the grace days)
    ran out, and seats that should have access and have no row yet."""
    now = now or timezone.now()
    lapsed = now - timedelta(minutes=CLAIM_MINUTES)
    free = Q(claimed_at__isnull=True) | Q(claimed_at__lt=lapsed)
    window_end = ExpressionWrapper(
        F("offering__ends_at") + F("connection__grace_days") * timedelta(days=1), output_field=DateTimeField()
    )
    due = (
        Q(wanted=False, state=P.DEPROVISION_DUE, deprovision_after__lte=now) & free
        | Q(
            wanted=True,
            state=P.PENDING,
            claimed_at__isnull=True,
            updated_at__lt=now - timedelta(minutes=PENDING_STALE_MINUTES),
        )
        | Q(state__in=(P.PENDING, P.DEPROVISION_DUE), claimed_at__lt=lapsed)
    )
    ids = list(
        Provision.objects.filter(due).order_by("updated_at").values_list("enrollment_id", flat=True)[:limit]
    )
    ended = (
        Provision.objects.filter(wanted=True, state__in=(P.PROVISIONED, P.PENDING))
        .alias(window_end=window_end)
        .filter(window_end__lte=now)
        .values_list("enrollment_id", flat=True)[:limit]
    )
    return list(dict.fromkeys([*ids, *ended, *unplanned(now=now, limit=limit)]))


def unplanned(*, now: datetime, limit: int = SWEEP_BATCH) -> list[int]:
    """Seats that should be in an LMS course and have no row for it: the listener's plan and its
    job were both lost, or the LMS connection (or the offering's course) came after the seat."""
    unit_connections = LmsConnection.objects.filter(
        tenant=OuterRef("tenant"), unit=OuterRef("offering__microcredential__unit"), is_active=True
    )
    tenant_connections = LmsConnection.objects.filter(
        tenant=OuterRef("tenant"), unit__isnull=True, is_active=True, kind__in=sorted(PUSHED)
    )
    pushed = Exists(unit_connections.filter(kind__in=sorted(PUSHED))) | (
        ~Exists(unit_connections) & Exists(tenant_connections)
    )
    rows = (
        Enrollment.objects.filter(status__in=sorted(KEEP), offering__ends_at__gt=now)
        .exclude(offering__lms_course_ref="")
        .filter(pushed)
        .filter(~Exists(Provision.objects.filter(enrollment=OuterRef("pk"), offering=OuterRef("offering"))))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return list(rows[:limit])

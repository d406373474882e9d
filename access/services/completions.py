"""Completion read back from the LMS: each course's completions, recorded through the one
completion service staff use (enrollment.services.completion, source "lms", no actor).

Only a learner we put in the course (a provision in it), whose enrollment is still confirmed
and has no completion record yet, is recorded; completion_record is itself idempotent and
serialises on the enrollment's lock, so two polls at once (beat and a staff member's "read now")
record a completion exactly once. What staff recorded is never overwritten by the LMS.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

from django.utils import timezone

from access.lms.base import LmsError, RemoteCompletion
from access.models import LmsAccount, LmsConnection, Provision, ProvisionState
from access.services import provisioning
from access.services.concurrency import lms_slot
from catalog import selectors as catalog_selectors
from catalog.models import Offering
from core import jobs
from core.dates import local
from core.errors import MicrocredError
from enrollment.models import RESULT_MAX_LENGTH, CompletionOutcome, CompletionSource, EnrollmentStatus
from enrollment.services.completion import completion_record, today_for
from tenants.models import Tenant
from tenants.selectors import StaffAccess

logger = logging.getLogger(__name__)

P = ProvisionState
POLL_OFFERING_TASK = "access.completions_poll_offering"
IN_COURSE = (P.PROVISIONED, P.DEPROVISION_DUE)


@dataclass
class Read:
    courses: int = 0
    recorded: int = 0
    errors: int = 0


def _on(completion: RemoteCompletion, offering: Offering) -> date:
    """The LMS's date, kept within what the completion service accepts (the offering's start to
    today in its time zone)."""
    today = today_for(offering)
    starts = local(offering.starts_at, offering.tz).date()
    on = completion.completed_on or today
    return min(max(on, starts), today)


def completions_read(*, connection: LmsConnection, offering_id: int | None = None) -> Read:
    """Read completions of every course (or one offering's) the connection has learners in, and
    record the completed ones not yet recorded."""
    read = Read()
    rows = Provision.objects.filter(connection=connection, state__in=IN_COURSE)
    if offering_id is not None:
        rows = rows.filter(offering_id=offering_id)
    courses = sorted(set(rows.values_list("offering_id", "course_ref")))
    if not courses:
        return read
    client = provisioning._client(connection)
    tenant = Tenant.objects.get(pk=connection.tenant_id)
    for course_offering_id, course_ref in courses:
        read.courses += 1
        try:
            with lms_slot(connection.pk, connection.max_concurrency):
                remote = client.completions(course_ref=course_ref)
        except LmsError as exc:
            read.errors += 1
            LmsConnection.objects.filter(pk=connection.pk).update(
                last_error=exc.message[:1000], last_error_at=timezone.now()
            )
            logger.warning("completions of %s at connection %s: %s", course_ref, connection.pk, exc.message)
            continue
        read.recorded += _record(tenant, connection, course_offering_id, course_ref, remote)
    LmsConnection.objects.filter(pk=connection.pk).update(last_polled_at=timezone.now())
    return read


def _record(
    tenant: Tenant,
    connection: LmsConnection,
    offering_id: int,
    course_ref: str,
    remote: list[RemoteCompletion],
) -> int:
    completed = {c.remote_user_id: c for c in remote if c.completed}
    if not completed:
        return 0
    waiting = dict(
        Provision.objects.filter(
            connection=connection,
            offering_id=offering_id,
            course_ref=course_ref,
            state__in=IN_COURSE,
            enrollment__status=EnrollmentStatus.CONFIRMED,
            enrollment__completions__isnull=True,
        ).values_list("enrollment__learner_id", "enrollment_id")
    )
    if not waiting:
        return 0
    accounts = LmsAccount.objects.filter(connection=connection, learner_id__in=list(waiting)).values_list(
        "learner_id", "remote_id"
    )
    offering = Offering.objects.get(pk=offering_id)
    recorded = 0
    for learner_id, remote_id in accounts:
        found = completed.get(remote_id)
        if found is None:
            continue
        try:
            done = completion_record(
                tenant=tenant,
                enrollment_id=waiting[learner_id],
                outcome=CompletionOutcome.COMPLETED,
                result=found.result.strip()[:RESULT_MAX_LENGTH],
                on=_on(found, offering),
                source=CompletionSource.LMS,
                actor=None,
            )
        except MicrocredError as exc:  # changed meanwhile (cancelled, recorded by staff): theirs holds
            logger.info("LMS completion of enrollment %s not recorded: %s", waiting[learner_id], exc.message)
            continue
        recorded += int(done.changed)
    return recorded


def completions_poll(*, offering_id: int | None = None) -> Read:
    """Every active connection (or the one of `offering_id`'s provisions), every course."""
    total = Read()
    connections = LmsConnection.objects.filter(is_active=True)
    if offering_id is not None:
        connections = connections.filter(provisions__offering_id=offering_id).distinct()
    for connection in connections:
        try:
            read = completions_read(connection=connection, offering_id=offering_id)
        except Exception:  # one LMS's trouble does not stop the others
            logger.exception("reading completions from connection %s failed", connection.pk)
            total.errors += 1
            continue
        total.courses += read.courses
        total.recorded += read.recorded
        total.errors += read.errors
    return total


def completions_read_request(*, tenant: Tenant, access: StaffAccess, offering_id: int) -> bool:
    """Staff ask for the offering's completions now: a job reads them. False when the offering
    has nobody in an LMS course (nothing to read)."""
    offering = catalog_selectors.offering_for_staff(tenant=tenant, access=access, offering_id=offering_id)
    if not Provision.objects.filter(offering=offering, state__in=IN_COURSE).exists():
        return False
    jobs.enqueue(POLL_OFFERING_TASK, offering.pk)
    return True

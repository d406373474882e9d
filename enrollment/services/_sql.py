"""The enroll path's statements, written out in SQL: a flash sale runs them thousands of times a
second, and building each through the ORM cost more than running it (measured: the offering
read took 3 ms to compile and 0.3 ms to run; then 0.3 ms of planning, hence a function). They
write the same rows the ORM would: an enrollment and its event (EnrollmentEvent, as
`_common.record` writes it) in one statement.

Everything else (transitions, locks, promotion) uses the ORM.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection

from catalog.models import Microcredential, Offering
from enrollment.models import Enrollment, EnrollmentEvent, EnrollmentStatus, WaitlistCount
from tenants.models import Tenant

S = EnrollmentStatus
_E = Enrollment._meta.db_table
_EV = EnrollmentEvent._meta.db_table
_W = WaitlistCount._meta.db_table

_OFFERING_COLUMNS = (
    "id",
    "microcredential_id",
    "cohort_label",
    "starts_at",
    "ends_at",
    "time_zone",
    "enrollment_opens_at",
    "enrollment_closes_at",
    "capacity",
    "seats_taken",
    "price_minor",
    "currency",
    "seat_hold_minutes",
    "waitlist_enabled",
    "status",
)
# A PL/pgSQL function (migration 0003), whose plan each database session keeps: as a statement
# sent as text, planning it cost ~0.3 ms of its ~0.35. It returns _OFFERING_COLUMNS, then the
# microcredential's title, status and unit, whether the unit is active, the learner's active
# enrollment's status here (if any) and whether anyone waits.
_READ = "SELECT * FROM enrollment_offering_for_enroll(%s, %s, %s)"


@dataclass(frozen=True)
class OfferingForEnroll:
    offering: Offering  # with .microcredential (title, status, unit_id) filled in
    unit_active: bool
    mine_status: str | None  # the learner's active enrollment here, if any
    someone_waits: bool


def offering_for_enroll(*, tenant: Tenant, offering_id: int, learner_id: int) -> OfferingForEnroll | None:
    with connection.cursor() as cursor:
        cursor.execute(_READ, [offering_id, tenant.pk, learner_id])
        row = cursor.fetchone()
    if row is None:
        return None
    n = len(_OFFERING_COLUMNS)
    offering = Offering(tenant=tenant, **dict(zip(_OFFERING_COLUMNS, row[:n], strict=True)))
    offering._state.adding = False
    offering._state.db = "default"
    title, mc_status, unit_id, unit_active, mine_status, someone_waits = row[n:]
    microcredential = Microcredential(
        id=offering.microcredential_id, tenant=tenant, title=title, status=mc_status, unit_id=unit_id
    )
    microcredential._state.adding = False
    offering.microcredential = microcredential
    return OfferingForEnroll(offering, bool(unit_active), mine_status, bool(someone_waits))


def enrollment_insert(
    *,
    offering: Offering,
    learner_id: int,
    status: str,
    actor_id: int | None,
    action: str,
    reason: str,
    now: datetime,
    hold_expires_at: datetime | None = None,
) -> tuple[Enrollment, int | None]:
    """INSERT the enrollment and its event in one statement; for a wait-list entry, its position
    too, read in the same round trip from the wait-list's count (WaitlistCount): the INSERT's
    trigger counted this entry in under the count's row lock and gave it the last place, so the
    count is exactly how many wait up to and including it, whatever left or was promoted before."""
    sql = (
        f"WITH e AS (INSERT INTO {_E} "  # noqa: S608 - table names are ours
        "(tenant_id, offering_id, learner_id, status, hold_expires_at, created_at, updated_at) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING id, arrival), "
        f"ev AS (INSERT INTO {_EV} "
        "(tenant_id, enrollment_id, actor_id, action, from_status, to_status, reason, details, at) "
        "SELECT %s, e.id, %s, %s, '', %s, %s, %s, %s FROM e) "
        "SELECT e.id, e.arrival, NULL::integer FROM e"
    )
    tenant_id = offering.tenant_id
    params: list[Any] = [tenant_id, offering.pk, learner_id, status, hold_expires_at, now, now]
    params += [tenant_id, actor_id, action, status, reason[:500], json.dumps({}), now]
    if status == S.WAITLISTED:
        # A second statement in the same round trip: it sees the first one's writes.
        sql += (
            f"; SELECT e.id, e.arrival, c.waiting FROM {_E} e "  # noqa: S608 - our tables
            f"JOIN {_W} c ON c.offering_id = e.offering_id "
            "WHERE e.offering_id = %s AND e.learner_id = %s AND e.status = 'waitlisted'"
        )
        params += [offering.pk, learner_id]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        enrollment_id, arrival, position = cursor.fetchone()
    enrollment = Enrollment(
        id=enrollment_id,
        tenant_id=tenant_id,
        offering=offering,
        learner_id=learner_id,
        status=status,
        hold_expires_at=hold_expires_at,
        arrival=arrival,
        created_at=now,
        updated_at=now,
    )
    enrollment._state.adding = False
    enrollment._state.db = "default"
    return enrollment, position

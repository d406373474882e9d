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

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection

from catalog.models import Microcredential, Offering
from enrollment.models import Enrollment, EnrollmentEvent, EnrollmentStatus, WaitlistCount
from enrollment.services.idempotency import Keyed, record_insert
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


@dataclass(frozen=True)
class AnswerToStore:
    """The request's answer, built before the INSERT and stored by it (idempotency.Keyed): the
    database writes in the enrollment's id and, for a waiting learner, the place
    (`waitlist_position`, and next_step's text from `waiting_text`, a format() string)."""

    keyed: Keyed
    status: int
    body: dict[str, Any]
    waiting_text: str


def _body_sql(source: str, waiting: bool) -> str:
    body = f"jsonb_set(%s::jsonb, '{{id}}', to_jsonb({source}.id))"
    if waiting:
        body = (
            f"jsonb_set(jsonb_set({body}, '{{waitlist_position}}', to_jsonb({source}.waiting)), "
            f"'{{next_step,text}}', to_jsonb(format(%s, {source}.waiting)))"
        )
    return body


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
    answer: AnswerToStore | None = None,
) -> tuple[Enrollment, int | None, dict[str, Any] | None]:
    """INSERT the enrollment and its event in one statement; for a wait-list entry, its position
    too, read in the same round trip from the wait-list's count (WaitlistCount): the INSERT's
    trigger counted this entry in under the count's row lock and gave it the last place, so the
    count is exactly how many wait up to and including it, whatever left or was promoted before.

    With `answer`, the idempotency record too, in the same round trip (its last write): returns
    the stored body. A key that already had one fails the statement on its unique index
    (`idempotency_key_unique`), so nothing is written, in a transaction or not."""
    waiting = status == S.WAITLISTED
    tenant_id = offering.tenant_id
    params: list[Any] = [tenant_id, offering.pk, learner_id, status, hold_expires_at, now, now]
    params += [tenant_id, actor_id, action, status, reason[:500], json.dumps({}), now]
    sql = (
        f"WITH e AS (INSERT INTO {_E} "  # noqa: S608 - table names are ours
        "(tenant_id, offering_id, learner_id, status, hold_expires_at, created_at, updated_at) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING id, arrival), "
        f"ev AS (INSERT INTO {_EV} "
        "(tenant_id, enrollment_id, actor_id, action, from_status, to_status, reason, details, at) "
        "SELECT %s, e.id, %s, %s, '', %s, %s, %s, %s FROM e)"
    )
    if waiting:
        # A second statement in the same round trip: it sees the first one's writes (the count).
        # It finds the row just written by its id (the id sequence's value in this session), by
        # primary key: looked up by offering and learner, the planner could walk the offering's
        # whole wait-list (measured: a scan that grew with every entry in a flash sale). The
        # sub-SELECT makes the volatile currval() one value, so the index can use it.
        sql += (
            " SELECT e.id FROM e; "  # noqa: S608 - our tables
            f"WITH p AS (SELECT e.id, e.arrival, c.waiting FROM {_E} e, {_W} c "
            f"WHERE e.id = (SELECT currval(pg_get_serial_sequence('{_E}', 'id'))) "
            "AND c.offering_id = %s)"
        )
        params += [offering.pk]
        source = "p"
    else:
        source = "e"
    if answer is not None:
        record, record_params = record_insert(
            answer.keyed, source=source, status=answer.status, body=_body_sql(source, waiting), now=now
        )
        sql += f", k AS ({record}) SELECT {source}.id, {source}.arrival, "
        sql += f"{source}.waiting, " if waiting else "NULL::integer, "
        sql += f"(SELECT k.body::text FROM k) FROM {source}"  # noqa: S608 - our tables
        params += [*record_params, json.dumps(answer.body, cls=DjangoJSONEncoder)]
        if waiting:
            params.append(answer.waiting_text)
    else:
        sql += f" SELECT {source}.id, {source}.arrival, "
        sql += f"{source}.waiting, NULL FROM {source}" if waiting else "NULL::integer, NULL FROM e"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        enrollment_id, arrival, position, stored = cursor.fetchone()
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
    return enrollment, position, (json.loads(stored) if stored is not None else None)

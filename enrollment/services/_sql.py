"""The enroll path's statements, as two PL/pgSQL functions: a flash sale runs them thousands of
times a second, and building each through the ORM cost more than running it (measured: the
offering read took 3 ms to compile and 0.3 ms to run), then planning them as text cost more than
running them, hence functions, whose plans each database session keeps. The write makes the
same rows the ORM would: an enrollment and its event (EnrollmentEvent, as `_common.record`
writes it), and with a key the idempotency record, in one statement.

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
from catalog.services import after_seats_taken
from enrollment.models import Enrollment, EnrollmentStatus
from enrollment.services.idempotency import Keyed
from tenants.models import Tenant

S = EnrollmentStatus

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


# A PL/pgSQL function (migration 0005), whose statements' plans each database session keeps:
# sent as text, they were parsed and planned on every enrollment.
_INSERT = "SELECT * FROM enrollment_insert(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"


@dataclass(frozen=True)
class Inserted:
    enrollment: Enrollment
    position: int | None  # a wait-list entry's place (1: next in line)
    stored: dict[str, Any] | None  # the answer stored with the key, if any


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
    take_seat: bool = False,
) -> Inserted | None:
    """INSERT the enrollment and its event in one statement; for a wait-list entry, its position
    too, read from the wait-list's count (WaitlistCount): the INSERT's trigger counted this entry
    in under the count's row lock and gave it the last place, so the count is exactly how many
    wait up to and including it, whatever left or was promoted before.

    With `answer`, the idempotency record too, in the same statement (its last write): returns
    the stored body. A key that already had one fails the statement on its unique index
    (`idempotency_key_unique`), so nothing is written, in a transaction or not.

    With `take_seat`, a seat first, in the same statement (catalog's conditional UPDATE): None,
    and nothing written, when none is left."""
    tenant_id = offering.tenant_id
    key: list[Any] = [None] * 6
    if answer is not None:
        keyed = answer.keyed
        if keyed.tenant_id != tenant_id:
            raise ValueError("An idempotency key is stored with its own tenant's enrollment.")
        body = json.dumps(answer.body, cls=DjangoJSONEncoder)
        key = [keyed.user_id, keyed.key, keyed.fingerprint, answer.status, body, answer.waiting_text]
    enrollment_params: list[Any] = [
        take_seat,
        tenant_id,
        offering.pk,
        learner_id,
        status,
        hold_expires_at,
        now,
    ]
    with connection.cursor() as cursor:
        cursor.execute(_INSERT, [*enrollment_params, actor_id, action, reason, *key])
        row = cursor.fetchone()
    if row is None:
        return None
    enrollment_id, arrival, position, stored, taken, capacity = row
    if take_seat:
        after_seats_taken(tenant_id=tenant_id, taken=taken, capacity=capacity)
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
    return Inserted(enrollment, position, json.loads(stored) if stored is not None else None)

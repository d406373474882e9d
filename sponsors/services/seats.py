"""Pool seats become confirmed enrollments with no card: a learner redeems a one-time code, or an
employer's contact enrols a CSV of e-mail addresses (every row checked first; one bad row and
nothing is saved, the report names each bad row).

A redeemed seat was reserved on the offering when the pool was made, so redeeming gives that
reserved seat back and takes it again for the learner in the same transaction (the offering's
row lock is held from the first seat UPDATE to the commit: nobody can take it in between), then
confirms it as paid (enrollment_confirm_paid): the learner gets the unit's confirmation e-mail,
once. Locks: the pool, then its seat rows by pk, then the offering.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from catalog.services import offering_seats_release
from core.errors import MicrocredError
from enrollment import services as enrollment_services
from enrollment.models import ACTIVE_STATES, Enrollment, EnrollmentStatus
from identity.models import User
from learners.services.signin import learner_account_ensure
from sponsors.errors import BulkRefused, SeatCodeRefused
from sponsors.models import EmployerContact, PoolSeat, PoolStatus, SeatPool
from sponsors.services.pools import lock_pool
from tenants.errors import NotVisible
from tenants.models import Tenant

USABLE = (PoolStatus.INVOICED, PoolStatus.PAID)
MAX_CSV_BYTES = 512 * 1024


def _refused_code() -> SeatCodeRefused:
    return SeatCodeRefused(_("This code is not valid, or it has been used already."))


def _confirm_reserved(*, tenant: Tenant, pool: SeatPool, learner: User, now: datetime) -> Enrollment:
    """Inside the caller's transaction: the learner's confirmed seat from one of the pool's
    reserved seats (module doc)."""
    offering_seats_release(tenant=tenant, offering_id=pool.offering_id, count=1)
    held = enrollment_services.enrollment_create(
        tenant=tenant,
        learner=learner,
        offering_id=pool.offering_id,
        reason=_("Seat sponsored by %(org)s.") % {"org": pool.employer.organisation},
        now=now,
    )
    if held.enrollment.status not in (EnrollmentStatus.HELD, EnrollmentStatus.CONFIRMED):
        raise SeatCodeRefused(_("People are waiting for this offering: ask its staff to place this seat."))
    if held.enrollment.status == EnrollmentStatus.CONFIRMED:
        return held.enrollment
    seat = enrollment_services.enrollment_confirm_paid(
        tenant=tenant, enrollment_id=held.enrollment.pk, details={"sponsored_pool": pool.pk}, now=now
    )
    assert seat.enrollment is not None  # noqa: S101 - a hold just made is confirmed
    return seat.enrollment


def seat_redeem(
    *, tenant: Tenant, learner: User, code: str, share: bool = False, now: datetime | None = None
) -> Enrollment:
    """A learner types a pool's one-time code: a confirmed seat, no card. Refusals change nothing.
    `share`: the learner lets the employer see their status and completion (consent, recorded)."""
    now = now or timezone.now()
    code = "".join(code.split()).upper()
    found = PoolSeat.objects.filter(tenant=tenant, code=code).values_list("pool_id", flat=True)
    pool_id = next(iter(found), None) if code else None
    if pool_id is None:
        raise _refused_code()
    with transaction.atomic():
        pool = lock_pool(tenant=tenant, pool_id=pool_id)
        if pool is None:
            raise _refused_code()
        seat = PoolSeat.objects.select_for_update().filter(tenant=tenant, code=code).first()
        if seat is None or seat.redeemed_at is not None or seat.expired_at is not None:
            raise _refused_code()
        if pool.status not in USABLE:
            raise SeatCodeRefused(_("This code cannot be used: its employer's seats are not available."))
        enrollment = _confirm_reserved(tenant=tenant, pool=pool, learner=learner, now=now)
        seat.enrollment = enrollment
        seat.email = learner.email
        seat.redeemed_at = now
        seat.shares_progress = share
        seat.sharing_changed_at = now
        seat.save(
            update_fields=["enrollment", "email", "redeemed_at", "shares_progress", "sharing_changed_at"]
        )
    return enrollment


@dataclass(frozen=True)
class BulkResult:
    enrolled: list[str]


def _read_emails(data: bytes) -> list[tuple[int, str]]:
    """(row number, address) of each non-blank row; a header row `email` is skipped."""
    if len(data) > MAX_CSV_BYTES:
        raise BulkRefused(_("This file is too large: at most 512 KB."), rows=[])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BulkRefused(_("This file is not UTF-8 text: save it as CSV (UTF-8)."), rows=[]) from None
    rows: list[tuple[int, str]] = []
    try:
        for number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
            cells = [c.strip() for c in row if c.strip()]
            if not cells:
                continue
            if number == 1 and cells[0].lower() in ("email", "e-mail", "email address"):
                continue
            rows.append((number, cells[0]))
    except csv.Error:
        raise BulkRefused(_("This file is not a CSV file."), rows=[]) from None
    if not rows:
        raise BulkRefused(_("The file holds no e-mail addresses."), rows=[])
    return rows


def bulk_enroll(
    *, tenant: Tenant, contact_user: User, pool_id: int, data: bytes, now: datetime | None = None
) -> BulkResult:
    """Enrol everyone in a CSV of e-mail addresses (one a row) on the pool's seats, or nobody.

    Every row is checked first (a valid address, not twice in the file, not already enrolled in
    the offering, no more rows than seats left); any bad row → BulkRefused naming each bad row
    and why, nothing saved. Otherwise all are enrolled in one transaction."""
    now = now or timezone.now()
    pool_of_contact = SeatPool.objects.filter(
        tenant=tenant,
        pk=pool_id,
        employer__in=EmployerContact.objects.filter(tenant=tenant, user=contact_user).values("employer"),
    ).values_list("pk", flat=True)
    if not pool_of_contact.exists():
        raise NotVisible(_("No such pool."))
    rows = _read_emails(data)
    with transaction.atomic():
        pool = lock_pool(tenant=tenant, pool_id=pool_id)
        if pool is None:
            raise NotVisible(_("No such pool."))
        if pool.status not in USABLE:
            raise BulkRefused(
                _("This pool's seats are not available: its invoice is not open or paid."), rows=[]
            )
        free = list(
            PoolSeat.objects.select_for_update()
            .filter(pool=pool, redeemed_at__isnull=True, expired_at__isnull=True)
            .order_by("pk")
        )
        bad: list[tuple[int, str]] = []
        seen: dict[str, int] = {}
        good: list[tuple[int, str]] = []
        for number, raw in rows:
            email = raw.lower()
            try:
                validate_email(email)
            except ValidationError:
                bad.append((number, _("“%(value)s” is not an e-mail address.") % {"value": raw[:100]}))
                continue
            if email in seen:
                bad.append(
                    (number, _("%(email)s is also on row %(row)d.") % {"email": email, "row": seen[email]})
                )
                continue
            seen[email] = number
            good.append((number, email))
        enrolled_already = {
            email.lower()
            for email in Enrollment.objects.filter(
                tenant=tenant, offering_id=pool.offering_id, status__in=sorted(ACTIVE_STATES)
            )
            .filter(learner__email__in=[e for _n, e in good])
            .values_list("learner__email", flat=True)
        }
        for number, email in good:
            if email in enrolled_already:
                bad.append((number, _("%(email)s is already enrolled in this offering.") % {"email": email}))
        if len(rows) > len(free):
            bad.append(
                (
                    rows[len(free)][0],
                    _("%(rows)d addresses but only %(free)d seats left: from this row on there is no seat.")
                    % {"rows": len(rows), "free": len(free)},
                )
            )
        if bad:
            bad.sort()
            raise BulkRefused(
                ngettext(
                    "Nobody was enrolled: %(n)d row needs correcting.",
                    "Nobody was enrolled: %(n)d rows need correcting.",
                    len(bad),
                )
                % {"n": len(bad)},
                rows=bad,
            )
        done: list[str] = []
        for (number, email), seat in zip(good, free, strict=False):
            try:
                learner = learner_account_ensure(email=email).user
                enrollment = _confirm_reserved(tenant=tenant, pool=pool, learner=learner, now=now)
            except MicrocredError as exc:
                raise BulkRefused(
                    _("Nobody was enrolled: row %(row)d could not be.") % {"row": number},
                    rows=[(number, exc.message)],
                ) from None
            seat.enrollment = enrollment
            seat.email = email
            seat.redeemed_at = now
            seat.save(update_fields=["enrollment", "email", "redeemed_at"])
            done.append(email)
    return BulkResult(enrolled=done)

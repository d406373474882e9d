"""Writing offerings: create, edit (capacity under lock), publish and friends, copy as next cohort."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from catalog import hooks
from catalog.errors import ArchivedNotEditable, CapacityBelowSeatsTaken, PublishRefused
from catalog.models import Microcredential, Offering, PublicationStatus, RefundPolicy
from catalog.services._common import check_transition, invalid, record, require_manager, validate
from core.money import format_money, known_currency
from identity.models import User
from tenants.errors import NotVisible
from tenants.models import Tenant
from tenants.selectors import StaffAccess

OFFERING_FIELDS = (
    "cohort_label",
    "starts_at",
    "ends_at",
    "time_zone",
    "enrollment_opens_at",
    "enrollment_closes_at",
    "schedule",
    "delivery_mode",
    "location",
    "capacity",
    "price_minor",
    "currency",
    "seat_hold_minutes",
    "waitlist_enabled",
    "refund_policy",
    "lms_course_ref",
)


def _offering(*, tenant: Tenant, access: StaffAccess, offering_id: int, lock: bool = False) -> Offering:
    rows = Offering.objects.select_related("microcredential__unit", "refund_policy")
    if lock:
        rows = rows.select_for_update(of=("self",))
    offering = rows.filter(tenant=tenant, pk=offering_id).first()
    if offering is None:
        raise NotVisible(_("No such offering."))
    require_manager(tenant=tenant, access=access, unit=offering.microcredential.unit)
    return offering


def unit_default_policy(*, tenant: Tenant, unit_id: int) -> RefundPolicy | None:
    return RefundPolicy.objects.filter(tenant=tenant, unit_id=unit_id, is_unit_default=True).first()


def effective_policy(offering: Offering) -> RefundPolicy | None:
    """The offering's own policy, else its unit's default."""
    if offering.refund_policy_id is not None:
        return offering.refund_policy
    return unit_default_policy(tenant=offering.tenant, unit_id=offering.microcredential.unit_id)


def _policy_problem(offering: Offering, policy: RefundPolicy | None) -> str | None:
    if policy is None or not policy.cancellation_fee_minor or policy.currency == offering.currency:
        return None
    return _(
        "The policy “%(policy)s” keeps a fee of %(fee)s, but this offering is priced in %(currency)s."
    ) % {
        "policy": policy.name,
        "fee": format_money(policy.cancellation_fee_minor, policy.currency),
        "currency": offering.currency,
    }


def _apply(offering: Offering, fields: dict[str, Any]) -> list[str]:
    changed = []
    for name in OFFERING_FIELDS:
        if name in fields and getattr(offering, name) != fields[name]:
            setattr(offering, name, fields[name])
            changed.append(name)
    return changed


def _validate_offering(offering: Offering) -> None:
    validate(offering, exclude=["tenant", "microcredential"])
    problems: dict[str, list[str]] = {}
    if not known_currency(offering.currency):
        problems["currency"] = [_("Enter an ISO 4217 currency code, like USD, CAD, GBP or JPY.")]
    policy = offering.refund_policy
    if policy is not None and policy.unit_id != offering.microcredential.unit_id:
        problems["refund_policy"] = [_("Choose one of this unit's refund policies.")]
    elif (problem := _policy_problem(offering, policy)) is not None:
        problems["refund_policy"] = [problem]
    if problems:
        raise invalid(problems)


def offering_create(
    *,
    tenant: Tenant,
    access: StaffAccess,
    actor: User | None,
    microcredential_id: int,
    fields: dict[str, Any],
) -> Offering:
    microcredential = (
        Microcredential.objects.select_related("unit").filter(tenant=tenant, pk=microcredential_id).first()
    )
    if microcredential is None:
        raise NotVisible(_("No such microcredential."))
    require_manager(tenant=tenant, access=access, unit=microcredential.unit)
    if microcredential.status == PublicationStatus.ARCHIVED:
        raise ArchivedNotEditable(_("This microcredential is archived; restore it to add offerings."))
    offering = Offering(
        tenant=tenant, microcredential=microcredential, time_zone=tenant.time_zone, currency=tenant.currency
    )
    _apply(offering, fields)
    _validate_offering(offering)
    with transaction.atomic():
        offering.save()
        record(tenant=tenant, actor=actor, action="created", offering=offering, to_state=offering.status)
    return offering


def offering_update(
    *, tenant: Tenant, access: StaffAccess, actor: User | None, offering_id: int, fields: dict[str, Any]
) -> Offering:
    """Edit an offering. Capacity never goes below the seats taken: the check and the write
    happen under the offering's row lock, which the enrollment engine's seat updates wait on."""
    candidate = _offering(tenant=tenant, access=access, offering_id=offering_id)
    if candidate.status == PublicationStatus.ARCHIVED:
        raise ArchivedNotEditable(_("This offering is archived; restore it to edit it."))
    # Everything that needs no lock is checked before taking it, to keep the lock short.
    _apply(candidate, fields)
    _validate_offering(candidate)
    with transaction.atomic():
        offering = _offering(tenant=tenant, access=access, offering_id=offering_id, lock=True)
        if "capacity" in fields and fields["capacity"] < offering.seats_taken:
            raise _capacity_refused(offering.seats_taken)
        if "currency" in fields and fields["currency"] != offering.currency and offering.seats_taken:
            raise invalid({"currency": [_("The currency cannot change once seats are taken.")]})
        before = offering.capacity
        changed = _apply(offering, fields)
        offering.save()
        details: dict[str, Any] = {"fields": sorted(changed)}
        if offering.capacity != before:
            details["capacity"] = [before, offering.capacity]
        record(tenant=tenant, actor=actor, action="updated", offering=offering, details=details)
        if offering.capacity > before:
            hooks.capacity_raised_on_commit(offering.pk, offering.capacity - before)
    return offering


def _capacity_refused(seats_taken: int) -> CapacityBelowSeatsTaken:
    message = ngettext(
        "%(n)d seat is already taken; capacity cannot go below %(n)d.",
        "%(n)d seats are already taken; capacity cannot go below %(n)d.",
        seats_taken,
    ) % {"n": seats_taken}
    return CapacityBelowSeatsTaken(message, fields={"capacity": [message]})


def _check_publishable(offering: Offering) -> None:
    microcredential = offering.microcredential
    if microcredential.status != PublicationStatus.PUBLISHED:
        raise PublishRefused(
            _("Publish the microcredential “%(title)s” first.") % {"title": microcredential.title}
        )
    policy = effective_policy(offering)
    if policy is None and not offering.is_free:
        raise PublishRefused(
            _("A paid offering needs a refund policy: choose one, or set a default for the unit.")
        )
    if (problem := _policy_problem(offering, policy)) is not None:
        raise PublishRefused(problem)


def _transition(
    *, tenant: Tenant, access: StaffAccess, actor: User | None, offering_id: int, action: str
) -> Offering:
    with transaction.atomic():
        offering = _offering(tenant=tenant, access=access, offering_id=offering_id, lock=True)
        before = offering.status
        after = check_transition(before, action)
        if action == "publish":
            _check_publishable(offering)
            offering.published_at = timezone.now()
        offering.status = after
        offering.save(update_fields=["status", "published_at", "updated_at"])
        record(
            tenant=tenant, actor=actor, action=action, offering=offering, from_state=before, to_state=after
        )
    return offering


def offering_publish(
    *, tenant: Tenant, access: StaffAccess, actor: User | None, offering_id: int
) -> Offering:
    """Learners see it once both it and its microcredential are published."""
    return _transition(tenant=tenant, access=access, actor=actor, offering_id=offering_id, action="publish")


def offering_unpublish(
    *, tenant: Tenant, access: StaffAccess, actor: User | None, offering_id: int
) -> Offering:
    return _transition(tenant=tenant, access=access, actor=actor, offering_id=offering_id, action="unpublish")


def offering_archive(
    *, tenant: Tenant, access: StaffAccess, actor: User | None, offering_id: int
) -> Offering:
    return _transition(tenant=tenant, access=access, actor=actor, offering_id=offering_id, action="archive")


def offering_restore(
    *, tenant: Tenant, access: StaffAccess, actor: User | None, offering_id: int
) -> Offering:
    return _transition(tenant=tenant, access=access, actor=actor, offering_id=offering_id, action="restore")


def next_cohort_shift(offering: Offering) -> timedelta:
    """Whole weeks, so the next cohort meets on the same weekdays, starting once this one ends."""
    weeks = max(1, math.ceil((offering.ends_at - offering.starts_at) / timedelta(weeks=1)))
    return timedelta(weeks=weeks)


def _shift_wall_clock(moment: datetime, shift: timedelta, offering: Offering) -> datetime:
    """Keep 6 pm at 6 pm across a daylight-saving change in the offering's own time zone."""
    local = timezone.localtime(moment, offering.tz).replace(tzinfo=None) + shift
    return timezone.make_aware(local, offering.tz)


def offering_copy_as_next_cohort(
    *, tenant: Tenant, access: StaffAccess, actor: User | None, offering_id: int
) -> Offering:
    """A draft copy with every date moved to the next run; no seats taken."""
    source = _offering(tenant=tenant, access=access, offering_id=offering_id)
    shift = next_cohort_shift(source)
    copy = Offering(
        tenant=tenant,
        microcredential=source.microcredential,
        **{name: getattr(source, name) for name in OFFERING_FIELDS},
    )
    for name in ("starts_at", "ends_at", "enrollment_opens_at", "enrollment_closes_at"):
        setattr(copy, name, _shift_wall_clock(getattr(source, name), shift, source))
    copy.cohort_label = ""
    with transaction.atomic():
        copy.save()
        record(
            tenant=tenant,
            actor=actor,
            action="copied",
            offering=copy,
            to_state=copy.status,
            details={"from_offering": source.pk, "shift_days": shift.days},
        )
    return copy

"""Writing a unit's refund policies: tiers, fee, seat release, and which one is the default."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from catalog.models import RefundPolicy, RefundTier
from catalog.refunds import Tier
from catalog.services._common import invalid, record, require_manager, validate
from core.money import known_currency
from identity.models import User
from tenants.errors import NotVisible
from tenants.models import Tenant, Unit
from tenants.selectors import StaffAccess

POLICY_FIELDS = ("name", "cancellation_fee_minor", "currency", "frees_seat", "is_unit_default")


def check_tiers(tiers: Sequence[Tier]) -> list[str]:
    """Tiers are distinct days, 1–100 %, and never give more back for cancelling later."""
    problems: list[str] = []
    days = [t.days_before_start for t in tiers]
    if len(set(days)) != len(days):
        problems.append(_("Each tier needs a different number of days."))
    if any(not 1 <= t.refund_percent <= 100 for t in tiers):
        problems.append(_("A tier refunds between 1 and 100 percent."))
    ordered = sorted(tiers, key=lambda t: t.days_before_start, reverse=True)
    if any(later.refund_percent > earlier.refund_percent for earlier, later in itertools.pairwise(ordered)):
        problems.append(_("Cancelling later cannot refund more than cancelling earlier."))
    return problems


def _save(
    *,
    tenant: Tenant,
    actor: User | None,
    policy: RefundPolicy,
    fields: dict[str, Any],
    tiers: Sequence[Tier],
    action: str,
) -> RefundPolicy:
    for name in POLICY_FIELDS:
        if name in fields:
            setattr(policy, name, fields[name])
    validate(policy, exclude=["tenant", "unit"])
    problems: dict[str, list[str]] = {}
    if not known_currency(policy.currency):
        problems["currency"] = [_("Enter an ISO 4217 currency code, like USD, CAD, GBP or JPY.")]
    if tier_problems := check_tiers(tiers):
        problems["tiers"] = tier_problems
    taken = RefundPolicy.objects.filter(unit=policy.unit, name=policy.name).exclude(pk=policy.pk).exists()
    if taken:
        problems["name"] = [_("This unit already has a policy with this name.")]
    if problems:
        raise invalid(problems)
    with transaction.atomic():
        if policy.is_unit_default:
            # One default per unit (a partial unique constraint backs this).
            RefundPolicy.objects.filter(unit=policy.unit, is_unit_default=True).exclude(pk=policy.pk).update(
                is_unit_default=False
            )
        policy.save()
        policy.tiers.all().delete()
        RefundTier.objects.bulk_create(
            RefundTier(policy=policy, days_before_start=t.days_before_start, refund_percent=t.refund_percent)
            for t in tiers
        )
        record(
            tenant=tenant,
            actor=actor,
            action=f"refund_policy_{action}",
            details={"policy": policy.pk, "unit": policy.unit_id},
        )
    return policy


def refund_policy_create(
    *,
    tenant: Tenant,
    access: StaffAccess,
    actor: User | None,
    unit: Unit,
    fields: dict[str, Any],
    tiers: Sequence[Tier],
) -> RefundPolicy:
    require_manager(tenant=tenant, access=access, unit=unit)
    policy = RefundPolicy(tenant=tenant, unit=unit, currency=tenant.currency)
    return _save(tenant=tenant, actor=actor, policy=policy, fields=fields, tiers=tiers, action="created")


def refund_policy_update(
    *,
    tenant: Tenant,
    access: StaffAccess,
    actor: User | None,
    policy_id: int,
    fields: dict[str, Any],
    tiers: Sequence[Tier],
) -> RefundPolicy:
    """Changes apply to future purchases; an order keeps the terms in force when it was paid."""
    policy = RefundPolicy.objects.select_related("unit").filter(tenant=tenant, pk=policy_id).first()
    if policy is None:
        raise NotVisible(_("No such refund policy."))
    require_manager(tenant=tenant, access=access, unit=policy.unit)
    return _save(tenant=tenant, actor=actor, policy=policy, fields=fields, tiers=tiers, action="updated")

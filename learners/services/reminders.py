"""Whether a learner gets reminders from a tenant (learners.models.ReminderOptOut)."""

from __future__ import annotations

from identity.models import User
from learners.models import ReminderOptOut
from learners.registry import MergeContext
from tenants.models import Tenant


def reminders_set(*, tenant: Tenant, user: User, enabled: bool) -> bool:
    """Turn reminders on or off; True when that changed anything. Safe to repeat and to race:
    the unique (tenant, user) row is created or deleted, never duplicated."""
    if enabled:
        deleted, _per_model = ReminderOptOut.objects.filter(tenant=tenant, user=user).delete()
        return deleted > 0
    _row, created = ReminderOptOut.objects.get_or_create(tenant=tenant, user=user)
    return created


def move_reminder_opt_out(merge: MergeContext) -> int:
    """A merge: reminders stay off for the merged account if either account had turned them off
    here (the person said no once; they can turn them back on)."""
    rows = ReminderOptOut.objects.filter(tenant=merge.tenant, user=merge.source)
    if not rows.exists():
        return 0
    ReminderOptOut.objects.get_or_create(tenant=merge.tenant, user=merge.target)
    rows.delete()
    return 1


def learner_for_reminders_link(*, user_id: int) -> User | None:
    """The live account a "Turn off reminders" link names (a deleted one: None)."""
    return User.objects.filter(pk=user_id, is_active=True, deleted_at__isnull=True).first()

"""Whether a learner gets reminders from a tenant (learners.models.ReminderOptOut)."""

from __future__ import annotations

from identity.models import User
from learners.models import ReminderOptOut
from tenants.models import Tenant


def reminders_set(*, tenant: Tenant, user: User, enabled: bool) -> bool:
    """Turn reminders on or off; True when that changed anything. Safe to repeat and to race:
    the unique (tenant, user) row is created or deleted, never duplicated."""
    if enabled:
        deleted, _per_model = ReminderOptOut.objects.filter(tenant=tenant, user=user).delete()
        return deleted > 0
    _row, created = ReminderOptOut.objects.get_or_create(tenant=tenant, user=user)
    return created

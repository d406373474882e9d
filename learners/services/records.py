from __future__ import annotations

from django.utils import timezone

from identity.models import User
from learners.models import LearnerRecord
from tenants.models import Tenant, Unit


def learner_record_ensure(
    *, tenant: Tenant, user: User, origin: str, unit: Unit | None = None
) -> LearnerRecord:
    """The person's record at this tenant, created on first sight; remembers the unit they came from."""
    record, created = LearnerRecord.objects.get_or_create(
        tenant=tenant, user=user, defaults={"origin": origin}
    )
    if not created:
        record.last_seen_at = timezone.now()
        LearnerRecord.objects.filter(pk=record.pk).update(last_seen_at=record.last_seen_at)
    if unit is not None and unit.tenant_id == tenant.pk:
        record.units.add(unit)
    return record

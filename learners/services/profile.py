from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from identity.models import User
from learners.models import ContactConsent
from learners.selectors import consents_current
from tenants.models import Tenant, Unit


def profile_update(*, user: User, full_name: str, preferred_name: str, phone: str) -> User:
    user.full_name = full_name.strip()
    user.preferred_name = preferred_name.strip()
    user.phone = phone.strip()
    user.full_clean(validate_unique=False, exclude=["password", "email"])
    user.save(update_fields=["full_name", "preferred_name", "phone"])
    return user


@transaction.atomic
def consent_set(*, tenant: Tenant, user: User, choices: dict[tuple[int, str], bool]) -> int:
    """Record what each unit may e-mail about. Only changes are written (append-only history);
    returns how many choices changed."""
    unit_ids = {unit_id for unit_id, _topic in choices}
    units = {u.pk: u for u in Unit.objects.filter(tenant=tenant, pk__in=unit_ids)}
    current = consents_current(tenant=tenant, user=user)
    now = timezone.now()
    rows = []
    for (unit_id, topic), granted in choices.items():
        if unit_id not in units:
            continue
        previous = current.get((unit_id, topic))
        if (previous.granted if previous else False) == granted:
            continue
        rows.append(
            ContactConsent(
                tenant=tenant, user=user, unit=units[unit_id], topic=topic, granted=granted, recorded_at=now
            )
        )
    ContactConsent.objects.bulk_create(rows)
    return len(rows)

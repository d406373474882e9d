"""Reads on learners. Every read of tenant data takes the tenant and filters by it."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Q, QuerySet

from identity.models import User
from learners.errors import LearnerNotVisible
from learners.models import AccountMerge, ContactConsent, LearnerRecord, ReminderOptOut
from learners.registry import learner_sources
from tenants.models import StaffRole, Tenant
from tenants.selectors import StaffAccess


def normalize_email(email: str) -> str:
    return email.strip().lower()


def account_for_email(email: str) -> User | None:
    """The live account owning `email` (its main address or any address added to it), or None."""
    email = normalize_email(email)
    return (
        User.objects.filter(Q(email__iexact=email) | Q(emailaddress__email__iexact=email))
        .filter(is_active=True, deleted_at__isnull=True)
        .distinct()
        .order_by("pk")
        .first()
    )


def learner_record(*, tenant: Tenant, user: User) -> LearnerRecord | None:
    return LearnerRecord.objects.filter(tenant=tenant, user=user).prefetch_related("units").first()


def reminders_enabled(*, tenant: Tenant, user: User) -> bool:
    """On unless the learner turned them off at this tenant."""
    return not ReminderOptOut.objects.filter(tenant=tenant, user=user).exists()


def consents_current(*, tenant: Tenant, user: User) -> dict[tuple[int, str], ContactConsent]:
    """The latest choice per (unit id, topic); a missing key means the learner never said yes."""
    current: dict[tuple[int, str], ContactConsent] = {}
    for consent in ContactConsent.objects.filter(tenant=tenant, user=user).order_by("-recorded_at", "-pk"):
        current.setdefault((consent.unit_id, consent.topic), consent)
    return current


def can_manage_learners(access: StaffAccess) -> bool:
    return access.is_tenant_admin or StaffRole.UNIT_ADMIN in access.roles


@dataclass
class LearnerMatch:
    user: User
    reasons: list[str] = field(default_factory=list)


def learner_lookup(*, tenant: Tenant, access: StaffAccess, email: str) -> list[LearnerMatch]:
    """Accounts with this exact e-mail that one of the registered sources places within the
    staff member's units of this tenant. Anything else is simply not found."""
    if access.tenant_id != tenant.pk or not can_manage_learners(access):
        raise LearnerNotVisible("No such learner.")
    email = normalize_email(email)
    if not email:
        return []
    users = list(
        User.objects.filter(Q(email__iexact=email) | Q(emailaddress__email__iexact=email))
        .filter(deleted_at__isnull=True)
        .distinct()
        .order_by("pk")
    )
    if not users:
        return []
    matches = {user.pk: LearnerMatch(user=user) for user in users}
    for source in learner_sources:
        for user_id, reason in source(tenant=tenant, unit_ids=access.unit_ids, users=users):
            if user_id in matches:
                matches[user_id].reasons.append(reason)
    return [match for match in matches.values() if match.reasons]


def learner_for_staff(*, tenant: Tenant, access: StaffAccess, user_id: int) -> LearnerMatch:
    """One learner by account id, if the staff member may see them; else LearnerNotVisible (404)."""
    user = User.objects.filter(pk=user_id, deleted_at__isnull=True).first()
    if user is None or access.tenant_id != tenant.pk or not can_manage_learners(access):
        raise LearnerNotVisible("No such learner.")
    match = LearnerMatch(user=user)
    for source in learner_sources:
        match.reasons.extend(
            reason
            for uid, reason in source(tenant=tenant, unit_ids=access.unit_ids, users=[user])
            if uid == user.pk
        )
    if not match.reasons:
        raise LearnerNotVisible("No such learner.")
    return match


def recent_merges(*, tenant: Tenant, access: StaffAccess, actor: User) -> QuerySet[AccountMerge]:
    """Tenant admins see every merge in the tenant; unit admins the ones they did themselves
    (another unit's merge names learners they may not see)."""
    merges = AccountMerge.objects.filter(tenant=tenant).order_by("-created_at")
    if not access.is_tenant_admin:
        merges = merges.filter(actor=actor)
    return merges[:20]

"""Writes on accounts that span every app: the personal-data export and account deletion."""

from __future__ import annotations

import secrets
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from identity.errors import AccountDeletionRefused
from identity.models import User
from identity.registry import personal_data_handlers

EXPORT_FORMAT = "microcred-personal-data/1"


def account_export(*, user: User) -> dict[str, Any]:
    """Everything held about the person, one section per registered app."""
    data: dict[str, Any] = {"format": EXPORT_FORMAT, "exported_at": timezone.now().isoformat()}
    for handler in personal_data_handlers():
        data[handler.section] = handler.export(user)
    return data


def account_deletion_blockers(*, user: User) -> list[str]:
    reasons = []
    for handler in personal_data_handlers():
        if handler.blocker is not None and (reason := handler.blocker(user)):
            reasons.append(reason)
    return reasons


def new_anonymous_reference() -> str:
    return f"anon-{secrets.token_hex(6)}"


def account_delete(*, user: User) -> str:
    """Remove the person's personal data; rows that must be kept now carry an anonymous reference.

    Returns the reference. Refuses (and changes nothing) while any app has a reason to wait.
    """
    reasons = account_deletion_blockers(user=user)
    if reasons:
        raise AccountDeletionRefused(_("Your account cannot be deleted yet."), reasons=reasons)
    reference = new_anonymous_reference()
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        for handler in personal_data_handlers():
            handler.erase(user, reference)
        user.email = f"{reference}@deleted.invalid"
        user.full_name = ""
        user.preferred_name = ""
        user.phone = ""
        user.anonymous_reference = reference
        user.deleted_at = timezone.now()
        user.is_active = False
        user.set_unusable_password()
        user.save()
    return reference

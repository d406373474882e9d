"""Links to a learner's record that the learner makes and revokes (RecordShare).

A link's token is 32 random bytes (secrets.token_urlsafe): the address is the secret. A revoked
link stops at once: every request looks the token up (no cache).
"""

from __future__ import annotations

import secrets

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import NotFound, ValidationFailed
from credentials.models import RecordShare
from identity.models import User
from tenants.models import Tenant

MAX_LIVE_SHARES = 20
MAX_TOKEN_LENGTH = 64


def shares_of(*, tenant: Tenant, learner: User) -> QuerySet[RecordShare]:
    """The learner's links on this tenant that still work, newest first."""
    return RecordShare.objects.filter(tenant=tenant, learner=learner, revoked_at__isnull=True).order_by(
        "-created_at", "-pk"
    )


def record_share_create(*, tenant: Tenant, learner: User) -> RecordShare:
    with transaction.atomic():
        # One learner's links, one change at a time (the limit is counted, then kept).
        User.objects.select_for_update().filter(pk=learner.pk).first()
        if shares_of(tenant=tenant, learner=learner).count() >= MAX_LIVE_SHARES:
            raise ValidationFailed(
                _("You have %(n)d links to your record: revoke one before making another.")
                % {"n": MAX_LIVE_SHARES},
                code="too_many_record_shares",
            )
        return RecordShare.objects.create(tenant=tenant, learner=learner, token=secrets.token_urlsafe(32))


def record_share_revoke(*, tenant: Tenant, learner: User, share_id: int) -> RecordShare:
    """Revoke one of the learner's own links (anyone else's, or an unknown one, is NotFound).
    Revoking a revoked link changes nothing."""
    if not 0 < share_id < 2**63:
        raise NotFound(_("There is no such link to your record."), code="record_share_not_found")
    with transaction.atomic():
        share = (
            RecordShare.objects.select_for_update()
            .filter(tenant=tenant, learner=learner, pk=share_id)
            .first()
        )
        if share is None:
            raise NotFound(_("There is no such link to your record."), code="record_share_not_found")
        if share.revoked_at is None:
            share.revoked_at = timezone.now()
            share.save(update_fields=["revoked_at"])
    return share


def record_share_find(*, tenant: Tenant, token: str) -> RecordShare:
    """The live link with this token on this tenant; NotFound for an unknown, revoked or other
    tenant's token."""
    share = None
    if 0 < len(token) <= MAX_TOKEN_LENGTH:
        share = (
            RecordShare.objects.filter(tenant=tenant, token=token, revoked_at__isnull=True)
            .select_related("learner")
            .first()
        )
    if share is None:
        raise NotFound(_("There is no such record here, or its link was revoked."), code="record_not_found")
    return share

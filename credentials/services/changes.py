"""Suspending, reinstating and revoking credentials: the status lists' bits follow
`Credential.status`; each change writes a CredentialEvent and tells the learner (outbox).

active → suspended (suspend), suspended → active (reinstate), active | suspended → revoked
(revoke, with a reason; final). Staff act on the units they manage; a corrected completion
revokes what the old record earned (`credentials_revoke_for_enrollment`).
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from credentials.errors import ReasonRequired, StatusChangeRefused
from credentials.models import (
    LIVE,
    Credential,
    CredentialEvent,
    CredentialKind,
    CredentialStatus,
    MessageKind,
    StatusList,
)
from credentials.services.locks import lock_credential, lock_enrollment
from credentials.services.messages import message_queue
from credentials.services.stack_jobs import stacks_check_ask
from identity.models import User
from tenants.errors import NotVisible
from tenants.models import Tenant
from tenants.selectors import StaffAccess

S = CredentialStatus
# action → (states it may start from, the state it leaves, the e-mail it sends, event name)
ACTIONS = {
    "suspend": ((S.ACTIVE,), S.SUSPENDED, MessageKind.SUSPENDED, "suspended"),
    "reinstate": ((S.SUSPENDED,), S.ACTIVE, MessageKind.REINSTATED, "reinstated"),
    "revoke": ((S.ACTIVE, S.SUSPENDED), S.REVOKED, MessageKind.REVOKED, "revoked"),
}


def _apply(credential: Credential, action: str, *, actor_id: int | None, reason: str) -> Credential:
    starts, to, message_kind, event = ACTIONS[action]
    if credential.status not in starts:
        raise StatusChangeRefused(
            _("A credential that is %(status)s cannot be changed that way.")
            % {"status": credential.get_status_display().lower()}
        )
    now = timezone.now()
    credential.status = to
    credential.status_reason = reason
    credential.status_changed_at = now
    credential.save(update_fields=["status", "status_reason", "status_changed_at"])
    StatusList.objects.filter(unit_id=credential.unit_id).update(updated_at=now)
    CredentialEvent.objects.create(
        tenant_id=credential.tenant_id,
        credential=credential,
        actor_id=actor_id,
        action=event,
        reason=reason,
        at=now,
    )
    message_queue(credential=credential, kind=message_kind)
    if to == S.REVOKED:  # a stack it was a part of may be broken now
        stacks_check_ask(
            tenant_id=credential.tenant_id,
            learner_id=credential.learner_id,
            microcredential_id=credential.microcredential_id,
        )
    return credential


def revoke_locked(credential: Credential, *, reason: str) -> Credential:
    """Revoke a credential the caller's transaction has locked (no staff actor: the system)."""
    return _apply(credential, "revoke", actor_id=None, reason=reason)


def credential_status_change(
    *, tenant: Tenant, access: StaffAccess, actor: User, credential_id: int, action: str, reason: str
) -> Credential:
    """Staff: suspend, reinstate or revoke one credential of a unit they manage."""
    if action not in ACTIONS:
        raise NotVisible(_("Not found."))
    reason = reason.strip()[:500]
    if action == "revoke" and not reason:
        raise ReasonRequired(_("Say why the credential is revoked."), fields={"reason": [_("Required.")]})
    with transaction.atomic():
        credential = lock_credential(tenant_id=tenant.pk, credential_id=credential_id)
        if credential is None or not access.manages_unit(credential.unit):
            raise NotVisible(_("Not found."))
        return _apply(credential, action, actor_id=actor.pk, reason=reason)


def credentials_revoke_for_enrollment(
    *, enrollment_id: int, reason: str, actor_id: int | None
) -> list[Credential]:
    """Revoke the enrollment's live credentials (its completion was corrected)."""
    reason = (reason.strip() or _("The completion this credential certified was corrected."))[:500]
    with transaction.atomic():
        if lock_enrollment(enrollment_id=enrollment_id) is None:
            return []
        live = list(
            Credential.objects.select_for_update(of=("self",))
            .filter(enrollment_id=enrollment_id, kind=CredentialKind.ACHIEVEMENT, status__in=LIVE)
            .select_related("unit")
        )
        return [_apply(c, "revoke", actor_id=actor_id, reason=reason) for c in live]

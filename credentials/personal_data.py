"""Credentials' registrations with the apps below: personal data (export, erase) and the
account-merge mover.

Deleting an account revokes its credentials (the status lists then say so to anyone holding a
copy) and removes the holder from the stored documents; record links stop; uploaded prior
learning keeps staff's decision but not the uploaded document. A merge moves the tenant's
credentials, record links and prior learning to the kept account, then checks its stacks.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core.jobs import enqueue_after_commit
from credentials.links import share_url
from credentials.models import (
    LIVE,
    Credential,
    CredentialEvent,
    CredentialKind,
    CredentialMessage,
    CredentialStatus,
    Recognition,
    RecognitionMessage,
    RecognitionStatus,
    RecordShare,
    StatusList,
)
from credentials.services.stack_jobs import CHECK_TASK
from identity.models import User
from identity.registry import register_personal_data
from learners.registry import MergeContext, merge_movers


def export(user: User) -> dict[str, Any]:
    credentials = Credential.objects.filter(learner=user).select_related("tenant", "unit", "microcredential")
    recognitions = Recognition.objects.filter(learner=user).select_related("tenant", "part")
    return {
        "credentials": [
            {
                "institution": c.tenant.name,
                "issuer": c.unit.name,
                "title": c.microcredential.title,
                "kind": c.kind,
                "status": c.status,
                "status_reason": c.status_reason,
                "issued_at": c.issued_at.isoformat(),
                "id": f"urn:uuid:{c.public_id}",
                "share_page": share_url(c),
                "document": c.document,
            }
            for c in credentials.order_by("issued_at", "pk")
        ],
        "record_links": [
            {
                "institution": s.tenant.name,
                "created_at": s.created_at.isoformat(),
                "revoked_at": s.revoked_at.isoformat() if s.revoked_at else None,
            }
            for s in RecordShare.objects.filter(learner=user).select_related("tenant").order_by("pk")
        ],
        "prior_learning": [
            {
                "institution": r.tenant.name,
                "uploaded_at": r.uploaded_at.isoformat(),
                "issuer": r.issuer_name or r.issuer_id,
                "achievement": r.achievement_name,
                "counts_toward": r.part.title if r.part else None,
                "status": r.status,
                "reason": r.reason,
                "document": r.document,
            }
            for r in recognitions.order_by("uploaded_at", "pk")
        ],
    }


def _without_holder(document: Any) -> Any:
    """The document with its subject's name and identifiers taken out (what it certified stays)."""
    if not isinstance(document, dict) or not isinstance(document.get("credentialSubject"), dict):
        return document
    subject = {
        k: v for k, v in document["credentialSubject"].items() if k not in ("name", "identifier", "id")
    }
    return {**document, "credentialSubject": subject}


def erase(user: User, reference: str) -> None:
    now = timezone.now()
    reason = _("The holder deleted their account (%(reference)s).") % {"reference": reference}
    units: set[int] = set()
    for credential in Credential.objects.select_for_update(of=("self",)).filter(learner=user):
        if credential.status in LIVE:
            credential.status = CredentialStatus.REVOKED
            credential.status_reason = reason
            credential.status_changed_at = now
            CredentialEvent.objects.create(
                tenant_id=credential.tenant_id, credential=credential, action="revoked", reason=reason, at=now
            )
            units.add(credential.unit_id)
        credential.document = _without_holder(credential.document)
        credential.save(update_fields=["status", "status_reason", "status_changed_at", "document"])
    StatusList.objects.filter(unit_id__in=units).update(updated_at=now)
    CredentialMessage.objects.filter(credential__learner=user, sent_at__isnull=True).update(sent_at=now)
    RecordShare.objects.filter(learner=user, revoked_at__isnull=True).update(revoked_at=now)
    RecognitionMessage.objects.filter(recognition__learner=user, sent_at__isnull=True).update(sent_at=now)
    Recognition.objects.filter(learner=user).update(document={})


def move_credentials(merge: MergeContext) -> int:
    """Re-point this tenant's credentials, record links and prior learning to the kept account. A
    stack both accounts hold stays the kept account's; the other copy is revoked. Prior learning
    both had accepted for one part stays accepted once (the other copy is marked refused)."""
    tenant, source, target = merge.tenant, merge.source, merge.target
    now = timezone.now()
    duplicate = _("A duplicate: two accounts of one person were merged.")
    held_stacks = set(
        Credential.objects.filter(
            tenant=tenant, learner=target, kind=CredentialKind.STACK, status__in=LIVE
        ).values_list("microcredential_id", flat=True)
    )
    moved = 0
    for credential in Credential.objects.select_for_update(of=("self",)).filter(
        tenant=tenant, learner=source
    ):
        fields = ["learner"]
        if credential.kind == CredentialKind.STACK and credential.status in LIVE:
            if credential.microcredential_id in held_stacks:
                credential.status = CredentialStatus.REVOKED
                credential.status_reason = duplicate
                credential.status_changed_at = now
                fields += ["status", "status_reason", "status_changed_at"]
                CredentialEvent.objects.create(
                    tenant=tenant, credential=credential, action="revoked", reason=duplicate, at=now
                )
                StatusList.objects.filter(unit_id=credential.unit_id).update(updated_at=now)
            held_stacks.add(credential.microcredential_id)
        credential.learner = target
        credential.save(update_fields=fields)
        moved += 1
    accepted = set(
        Recognition.objects.filter(
            tenant=tenant, learner=target, status=RecognitionStatus.ACCEPTED
        ).values_list("part_id", flat=True)
    )
    Recognition.objects.filter(
        Q(tenant=tenant, learner=source, status=RecognitionStatus.ACCEPTED, part_id__in=accepted)
    ).update(status=RecognitionStatus.REFUSED, reason=duplicate)
    moved += Recognition.objects.filter(tenant=tenant, learner=source).update(learner=target)
    moved += RecordShare.objects.filter(tenant=tenant, learner=source).update(learner=target)
    enqueue_after_commit(CHECK_TASK, tenant.pk, target.pk)
    return moved


def register() -> None:
    register_personal_data("credentials", export=export, erase=erase)
    merge_movers.register("credentials", move_credentials)

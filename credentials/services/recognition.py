"""Recognition of prior learning: a learner uploads another institution's credential (Open
Badges 3.0 or CLR 2.0); it is verified and stored with the verdict; staff of the unit owning a
stack's part accept it as counting toward that part, or refuse it with a reason.

Uploading refuses, with a message for people: what is not JSON, too large, not an Open Badge or
CLR (the verifier's format check); a credential whose signature was checked and does not match
(changed after signing); one issued on this tenant (it is in the learner's record already); the
same credential uploaded again by the same learner. A credential whose issuer cannot be resolved
offline, or that has expired, is stored unverified: staff see each check and decide.

Deciding: pending → accepted | refused, once. A refusal needs a reason. Accepting an unverified
credential needs `override` and a reason (kept in `reason`: why it was accepted anyway). The
part accepted must be a part of one of the tenant's stacks, of a unit the staff member runs; a
learner has at most one accepted recognition per part. The decision writes a RecognitionMessage
(the e-mail, sent after commit); an acceptance also asks `credentials.stacks_check` to look at
the learner's stacks again.
"""

from __future__ import annotations

import json
import uuid
from typing import Any
from urllib.parse import unquote

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import Microcredential
from core.errors import ValidationFailed
from core.jobs import enqueue_after_commit
from credentials.errors import DecisionRefused, ReasonRequired, UploadRefused
from credentials.models import Credential, Recognition, RecognitionMessageKind, RecognitionStatus
from credentials.selectors import stack_parts, stack_parts_managed
from credentials.services.locks import lock_learner, lock_recognition
from credentials.services.recognition_messages import recognition_message_queue
from credentials.services.stack_jobs import CHECK_TASK
from credentials.services.verify import MAX_INPUT, Verdict, verify_document
from identity.models import User
from tenants.errors import NotVisible
from tenants.models import Domain, Tenant
from tenants.selectors import StaffAccess

MAX_REASON = 500


# --- uploading ----------------------------------------------------------------------------------


def _parse(given: str | bytes) -> dict[str, Any]:
    if isinstance(given, bytes | bytearray):
        if len(given) > MAX_INPUT * 4:
            raise UploadRefused(_("The file is too large to be one credential."), code="too_large")
        try:
            given = bytes(given).decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise UploadRefused(
                _("The file is not UTF-8 text, so it cannot be a JSON credential."), code="not_json"
            ) from exc
    if len(given) > MAX_INPUT:
        raise UploadRefused(_("The text is too long to be one credential."), code="too_large")
    if not given.strip():
        raise UploadRefused(_("Paste a credential or choose its file."), code="empty")
    try:
        document = json.loads(given)
    except (ValueError, RecursionError) as exc:
        raise UploadRefused(_("This is not JSON: a credential is a JSON object."), code="not_json") from exc
    if not isinstance(document, dict):
        raise UploadRefused(_("A credential is a JSON object; this is not one."), code="not_a_credential")
    try:
        # PostgreSQL's jsonb holds no NUL character and Python's JSON lets through lone surrogates.
        stored = json.dumps(document, ensure_ascii=False)
        stored.encode("utf-8")
    except (UnicodeEncodeError, ValueError, RecursionError) as exc:
        raise UploadRefused(_("This JSON cannot be stored: it is not valid text."), code="not_json") from exc
    if "\x00" in stored or "\\u0000" in stored:
        raise UploadRefused(_("This JSON cannot be stored: it holds a NUL character."), code="not_json")
    return document


def _check(verdict: Verdict, name: str) -> bool | None:
    return next((c.ok for c in verdict.checks if c.name == name), None)


def _refuse_unusable(verdict: Verdict) -> None:
    """What the verifier proved wrong, rather than could not check, is not stored."""
    if _check(verdict, "format") is not True:
        message = next((c.message for c in verdict.checks if c.name == "format"), "")
        raise UploadRefused(
            _("This is not an Open Badge 3.0 or a Comprehensive Learner Record: %(why)s") % {"why": message},
            code="not_a_credential",
        )
    if _check(verdict, "issuer") is True and _check(verdict, "proof") is False:
        raise UploadRefused(
            _(
                "The credential's signature does not match: it was changed after it was signed. "
                "Upload the file exactly as its issuer gave it."
            ),
            code="signature_mismatch",
        )


def _is_ours(tenant: Tenant, document: dict[str, Any], issuer_id: str) -> bool:
    """Issued on this tenant: by one of its units' (or its own) did:web, or one of its credentials."""
    if issuer_id.startswith("did:web:"):
        host = unquote(issuer_id.split(":")[2]).split(":", 1)[0].lower()
        if Domain.objects.filter(tenant=tenant, host__iexact=host).exists():
            return True
    credential_id = document.get("id")
    if isinstance(credential_id, str) and credential_id.startswith("urn:uuid:"):
        public_id = credential_id.removeprefix("urn:uuid:")
        try:
            return Credential.objects.filter(tenant=tenant, public_id=uuid.UUID(public_id)).exists()
        except ValueError:
            return False
    return False


def _part(tenant: Tenant, part_id: int | None) -> Microcredential | None:
    if part_id is None:
        return None
    part = stack_parts(tenant=tenant).filter(pk=part_id).first() if 0 < part_id < 2**63 else None
    if part is None:
        raise ValidationFailed(
            _("Choose one of the courses listed."), fields={"part": [_("Not one of the courses listed.")]}
        )
    return part


def recognition_upload(
    *, tenant: Tenant, learner: User, document_text_or_bytes: str | bytes, part_id: int | None
) -> Recognition:
    """Store another institution's credential with the verifier's verdict, pending staff's decision."""
    document = _parse(document_text_or_bytes)
    part = _part(tenant, part_id)
    verdict = verify_document(document)
    _refuse_unusable(verdict)
    if _is_ours(tenant, document, verdict.issuer_id):
        raise UploadRefused(
            _(
                "This credential was issued here: it is in your record already, there is nothing "
                "to recognise."
            ),
            code="issued_here",
        )
    credential_id = document.get("id")
    with transaction.atomic():
        lock_learner(learner_id=learner.pk)
        earlier = Recognition.objects.filter(tenant=tenant, learner=learner)
        if isinstance(credential_id, str) and credential_id:
            earlier = earlier.filter(document__id=credential_id)
        else:
            earlier = earlier.filter(document=document)
        if earlier.exists():
            raise UploadRefused(
                _("You have uploaded this credential already: see it in the list below."), code="duplicate"
            )
        return Recognition.objects.create(
            tenant=tenant,
            learner=learner,
            document=document,
            kind=verdict.kind,
            verified=verdict.ok,
            checks=[{"name": c.name, "ok": c.ok, "message": c.message} for c in verdict.checks],
            issuer_name=verdict.issuer_name[:300],
            issuer_id=verdict.issuer_id[:500],
            achievement_name=verdict.achievement_name[:300],
            part=part,
        )


# --- deciding -----------------------------------------------------------------------------------


def _decision_part(
    *, tenant: Tenant, access: StaffAccess, recognition: Recognition, part_id: int | None, accept: bool
) -> Microcredential | None:
    """The part decided on: the one chosen, else the one the learner asked for; it must be a
    part of a unit the person runs (a refusal of a recognition naming no part needs none)."""
    if part_id is not None:
        part = stack_parts_managed(tenant=tenant, access=access).filter(pk=part_id).first()
        if part is None or not 0 < part_id < 2**63:
            raise ValidationFailed(
                _("Choose one of the parts your units run."), fields={"part": [_("Not one of your parts.")]}
            )
        return part
    if recognition.part is not None:
        if not access.manages_unit(recognition.part.unit):
            raise NotVisible(_("Not found."))
        return recognition.part
    if accept:
        raise ValidationFailed(
            _("Choose the part this credential counts toward."), fields={"part": [_("Required.")]}
        )
    return None


def recognition_decide(
    *,
    tenant: Tenant,
    access: StaffAccess,
    actor: User,
    recognition_id: int,
    accept: bool,
    part_id: int | None = None,
    reason: str = "",
    override: bool = False,
) -> Recognition:
    """Staff: accept (toward a part) or refuse (with a reason) one pending recognition, once."""
    reason = reason.strip()[:MAX_REASON]
    if not accept and not reason:
        raise ReasonRequired(
            _("Say why it is refused: the learner is told."), fields={"reason": [_("Required.")]}
        )
    if not 0 < recognition_id < 2**63:
        raise NotVisible(_("Not found."))
    with transaction.atomic():
        recognition = lock_recognition(tenant_id=tenant.pk, recognition_id=recognition_id)
        if recognition is None or not access.manages_any_unit or access.tenant_id != tenant.pk:
            raise NotVisible(_("Not found."))
        if recognition.part is not None and not access.manages_unit(recognition.part.unit):
            raise NotVisible(_("Not found."))
        part = _decision_part(
            tenant=tenant, access=access, recognition=recognition, part_id=part_id, accept=accept
        )
        if recognition.status != RecognitionStatus.PENDING:
            raise DecisionRefused(
                _("This was %(status)s already; a decision is final.")
                % {"status": recognition.get_status_display().lower()},
                code="already_decided",
            )
        if accept and not recognition.verified and not (override and reason):
            raise DecisionRefused(
                _(
                    "This credential did not pass every check. To accept it anyway, tick "
                    "“Accept although not verified” and say why."
                ),
                code="not_verified",
                fields={"override": [_("Required for an unverified credential.")]},
            )
        if accept and part is not None:
            taken = Recognition.objects.filter(
                learner_id=recognition.learner_id, part=part, status=RecognitionStatus.ACCEPTED
            ).exists()
            if taken:
                raise DecisionRefused(
                    _("This learner already has prior learning accepted for %(part)s.")
                    % {"part": part.title},
                    code="part_already_recognised",
                    fields={"part": [_("Already recognised for this learner.")]},
                )
        recognition.status = RecognitionStatus.ACCEPTED if accept else RecognitionStatus.REFUSED
        recognition.part = part
        recognition.reason = reason
        recognition.decided_by = actor
        recognition.decided_at = timezone.now()
        try:
            with transaction.atomic():  # the constraint backs the check above against a race
                recognition.save(update_fields=["status", "part", "reason", "decided_by", "decided_at"])
        except IntegrityError as exc:
            raise DecisionRefused(
                _("This learner already has prior learning accepted for this part."),
                code="part_already_recognised",
            ) from exc
        kind = RecognitionMessageKind.ACCEPTED if accept else RecognitionMessageKind.REFUSED
        recognition_message_queue(recognition=recognition, kind=kind)
        if accept:
            enqueue_after_commit(CHECK_TASK, tenant.pk, recognition.learner_id)
        return recognition

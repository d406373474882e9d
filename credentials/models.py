"""Verifiable credentials: Open Badges 3.0 achievements issued by units, stacks, their status.

- IssuerKey: a unit's Ed25519 signing keys. The newest unretired key signs; retired keys stay in
  the unit's DID document (did:web) so that what they signed still verifies. The private key is
  kept encrypted at rest (core.secrets).
  A key with no unit is the tenant's own, which signs learner records (ClrCredential).
- StatusList: per unit and purpose (revocation, suspension), a Bitstring Status List; every
  credential of the unit takes one index, the same in both lists.
- Credential: one signed OpenBadgeCredential, as issued (`document`, never edited after signing);
  its `status` mirrors the status lists' bits. At most one live (active or suspended) credential
  per enrollment, and per learner and stack.
- CredentialEvent: the append-only audit of issuing, suspending, reinstating and revoking.
- CredentialMessage: the outbox of e-mails telling the learner (issued, suspended, reinstated,
  revoked), sent once after commit by a job that claims the row first (as enrollment's).
- RecordShare: a link to a learner's Comprehensive Learner Record that the learner can revoke.
- Recognition: a credential from another institution that a learner uploaded (OB 3.0 or CLR
  2.0), its verification verdict, and unit staff's decision on counting it toward a stack's part;
  RecognitionMessage, the outbox of e-mails telling the learner of that decision.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from catalog.models import Microcredential
from enrollment.models import Enrollment
from tenants.models import Tenant, Unit


class IssuerKey(models.Model):
    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    # The unit whose credentials it signs; None: the tenant's own key, which signs learner records.
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, null=True, blank=True, related_name="issuer_keys"
    )
    # The verification method's fragment in the issuer's DID document: did:web:…#key-1.
    key_id = models.CharField(max_length=40)
    public_key_multibase = models.CharField(max_length=100)  # Multikey: "z6Mk…"
    private_key_encrypted = models.TextField()  # core.secrets, purpose "credentials.keys"
    created_at = models.DateTimeField(default=timezone.now)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["unit", "created_at"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "key_id"], name="issuer_key_id_unique_per_unit"),
            models.UniqueConstraint(
                fields=["unit"], condition=Q(retired_at__isnull=True), name="issuer_key_one_signing_per_unit"
            ),
            models.UniqueConstraint(
                fields=["tenant", "key_id"],
                condition=Q(unit__isnull=True),
                name="issuer_key_id_unique_per_tenant",
            ),
            models.UniqueConstraint(
                fields=["tenant"],
                condition=Q(unit__isnull=True, retired_at__isnull=True),
                name="issuer_key_one_signing_per_tenant",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit_id or 'tenant'}#{self.key_id}"


class StatusPurpose(models.TextChoices):
    REVOCATION = "revocation", _("Revocation")
    SUSPENSION = "suspension", _("Suspension")


class StatusList(models.Model):
    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="status_lists")
    purpose = models.CharField(max_length=20, choices=StatusPurpose.choices)
    # Bits in the list (the spec's minimum is 131,072: a list that small says nothing of who).
    size = models.PositiveIntegerField(default=131072)
    # The next index to give out (kept on the revocation list: one index per credential serves
    # both lists); taken by one conditional UPDATE (credentials.services.status).
    next_index = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["unit", "purpose"], name="status_list_one_per_unit_and_purpose")
        ]

    def __str__(self) -> str:
        return f"{self.unit_id}:{self.purpose}"


class CredentialKind(models.TextChoices):
    ACHIEVEMENT = "achievement", _("Completed microcredential")
    STACK = "stack", _("Stacked microcredential")


class CredentialStatus(models.TextChoices):
    ACTIVE = "active", _("Valid")
    SUSPENDED = "suspended", _("Suspended")
    REVOKED = "revoked", _("Revoked")


LIVE = (CredentialStatus.ACTIVE, CredentialStatus.SUSPENDED)


class Credential(models.Model):
    # The credential's id (urn:uuid:…) and its public share page's address.
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")  # the issuer
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="credentials"
    )
    microcredential = models.ForeignKey(Microcredential, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20, choices=CredentialKind.choices, default=CredentialKind.ACHIEVEMENT)
    # The completion it certifies (an achievement); a stack's credential has none.
    enrollment = models.ForeignKey(
        Enrollment, on_delete=models.PROTECT, null=True, blank=True, related_name="credentials"
    )
    key = models.ForeignKey(IssuerKey, on_delete=models.PROTECT, related_name="+")  # what signed it
    document = models.JSONField()  # the signed OpenBadgeCredential, exactly as issued
    status = models.CharField(
        max_length=20, choices=CredentialStatus.choices, default=CredentialStatus.ACTIVE
    )
    status_index = models.PositiveIntegerField()  # its bit in the unit's status lists
    status_reason = models.CharField(max_length=500, blank=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    issued_at = models.DateTimeField(default=timezone.now)
    valid_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-issued_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "status_index"], name="credential_status_index_unique"),
            models.UniqueConstraint(
                fields=["enrollment"],
                condition=Q(status__in=LIVE, kind=CredentialKind.ACHIEVEMENT),
                name="credential_one_live_per_enrollment",
            ),
            models.UniqueConstraint(
                fields=["learner", "microcredential"],
                condition=Q(status__in=LIVE, kind=CredentialKind.STACK),
                name="credential_one_live_stack_per_learner",
            ),
            models.CheckConstraint(
                condition=Q(kind=CredentialKind.STACK) | Q(enrollment__isnull=False),
                name="credential_achievement_has_enrollment",
            ),
        ]
        indexes = [models.Index(fields=["tenant", "learner", "-issued_at"], name="credential_learner_idx")]

    def __str__(self) -> str:
        return f"urn:uuid:{self.public_id}"


class CredentialEvent(models.Model):
    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    credential = models.ForeignKey(Credential, on_delete=models.PROTECT, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    action = models.CharField(max_length=40)  # issued, suspended, reinstated, revoked
    reason = models.CharField(max_length=500, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.action} {self.credential_id}"


class MessageKind(models.TextChoices):
    ISSUED = "issued", _("Credential issued")
    SUSPENDED = "suspended", _("Credential suspended")
    REINSTATED = "reinstated", _("Credential reinstated")
    REVOKED = "revoked", _("Credential revoked")


class CredentialMessage(models.Model):
    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    credential = models.ForeignKey(Credential, on_delete=models.PROTECT, related_name="messages")
    kind = models.CharField(max_length=20, choices=MessageKind.choices)
    created_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)  # a sender has it (times out)
    sent_at = models.DateTimeField(null=True, blank=True)  # the mail server accepted it
    attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(
                fields=["created_at"], condition=Q(sent_at__isnull=True), name="credential_message_unsent"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.credential_id}"


class RecordShare(models.Model):
    """A public link to one learner's learner record (CLR) in one tenant; revoked links stop at once."""

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    learner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    token = models.CharField(max_length=64, unique=True)  # secrets.token_urlsafe: the link's secret
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["tenant", "learner"], name="record_share_learner_idx")]

    def __str__(self) -> str:
        return f"record share {self.pk}"


class RecognitionStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for a decision")
    ACCEPTED = "accepted", _("Accepted")
    REFUSED = "refused", _("Refused")


class Recognition(models.Model):
    """Prior learning: another institution's credential, uploaded by the learner, that unit staff
    accept (or refuse, with a reason) as counting toward `part`, a part of one of their stacks."""

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    learner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    document = models.JSONField()  # the credential exactly as uploaded
    kind = models.CharField(max_length=40)  # OpenBadgeCredential, ClrCredential (verify's kind)
    verified = models.BooleanField(default=False)  # the verifier's verdict when uploaded
    checks = models.JSONField(default=list)  # the verdict's checks: [{"name", "ok", "detail"}]
    issuer_name = models.CharField(max_length=300, blank=True)
    issuer_id = models.CharField(max_length=500, blank=True)
    achievement_name = models.CharField(max_length=300, blank=True)
    # What the learner asks it to count toward (staff may choose another part when accepting).
    part = models.ForeignKey(
        Microcredential, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    status = models.CharField(
        max_length=20, choices=RecognitionStatus.choices, default=RecognitionStatus.PENDING
    )
    reason = models.CharField(max_length=500, blank=True)  # why it was refused
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-uploaded_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["learner", "part"],
                condition=Q(status=RecognitionStatus.ACCEPTED),
                name="recognition_one_accepted_per_part",
            ),
            models.CheckConstraint(
                condition=~Q(status=RecognitionStatus.ACCEPTED) | Q(part__isnull=False),
                name="recognition_accepted_names_part",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "learner"], name="recognition_learner_idx"),
            models.Index(fields=["tenant", "status"], name="recognition_status_idx"),
        ]

    def __str__(self) -> str:
        return f"recognition {self.pk} ({self.status})"


class RecognitionMessageKind(models.TextChoices):
    ACCEPTED = "accepted", _("Prior learning accepted")
    REFUSED = "refused", _("Prior learning refused")


class RecognitionMessage(models.Model):
    """The outbox of e-mails telling the learner of staff's decision on a Recognition (core.outbox)."""

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    recognition = models.ForeignKey(Recognition, on_delete=models.PROTECT, related_name="messages")
    kind = models.CharField(max_length=20, choices=RecognitionMessageKind.choices)
    created_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(
                fields=["created_at"], condition=Q(sent_at__isnull=True), name="recognition_message_unsent"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.recognition_id}"

"""Learners as each tenant sees them: one account (identity.User) across tenants, one record per tenant.

Lives above `tenants` (it needs Tenant and Unit) and beside `catalog`: neither imports the other.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tenants.models import Tenant, Unit


class LearnerOrigin(models.TextChoices):
    SIGN_UP = "sign_up", _("Signed up")
    SIGN_IN = "sign_in", _("Signed in")
    GUEST = "guest", _("Guest checkout")
    MERGE = "merge", _("Merged account")


class LearnerRecord(models.Model):
    """A person known to one tenant. The same account on two tenants' sites has two records, and
    each tenant sees only its own."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="learner_records")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="learner_records"
    )
    origin = models.CharField(max_length=20, choices=LearnerOrigin.choices)
    units = models.ManyToManyField(
        Unit,
        blank=True,
        related_name="learner_records",
        help_text=_("Units whose pages the learner came from."),
    )
    created_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_from"
    )
    merged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "user"], name="learner_record_one_per_tenant"),
            models.CheckConstraint(
                condition=Q(merged_into__isnull=True, merged_at__isnull=True)
                | Q(merged_into__isnull=False, merged_at__isnull=False),
                name="learner_record_merge_consistent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} at {self.tenant}"


class ContactTopic(models.TextChoices):
    COURSES = "courses", _("New courses and start dates")
    EVENTS = "events", _("Events and information sessions")


class ContactConsent(models.Model):
    """Append-only: each change of what a unit may e-mail the learner about, with its time.

    The current choice is the latest row per (tenant, user, unit, topic); no row means no.
    """

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="contact_consents"
    )
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")
    topic = models.CharField(max_length=20, choices=ContactTopic.choices)
    granted = models.BooleanField()
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-recorded_at", "-pk"]
        indexes = [models.Index(fields=["tenant", "user", "unit", "topic", "-recorded_at"])]

    def __str__(self) -> str:
        return f"{self.user} {'grants' if self.granted else 'refuses'} {self.topic} from {self.unit}"


class ReminderOptOut(models.Model):
    """The learner turned reminders off at this tenant (a held seat or an offer about to expire, a
    course about to start: enrollment.services.reminders). No row: reminders are on. E-mails about
    what happened (a confirmation, a cancellation) are not reminders and always go."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reminder_opt_outs"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "user"], name="reminder_opt_out_once")]

    def __str__(self) -> str:
        return f"{self.user} wants no reminders from {self.tenant}"


class AccountMerge(models.Model):
    """Audit trail: a staff member moved one account's records in a tenant into another account.

    Kept when either person deletes their account; the e-mail snapshots then read the anonymous
    reference instead (identity.registry's erase contract).
    """

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    source = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    target = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    actor_email = models.CharField(max_length=254)
    source_email = models.CharField(max_length=254)
    target_email = models.CharField(max_length=254)
    moved = models.JSONField(default=dict, help_text=_("Rows moved, per kind."))
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(source=models.F("target")), name="account_merge_two_accounts"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source_email} → {self.target_email}"


class StaffIssuedCode(models.Model):
    """A sign-in code a unit admin had e-mailed to a learner ("resend a sign-in code").

    allauth's own codes live in the requesting browser's session, which staff cannot reach, so
    these are kept here: only an HMAC of the code, single use, expiring, three attempts.
    """

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    failed_attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"code for {self.user} at {self.tenant}"

"""Learning access: Microcred as the guests' OpenID Connect provider, provisioning into the units'
LMSs, and entitlements (library, software, labs) that last as long as the seat.

- RelyingParty: a client registered by tenant admins (a unit's LMS, the library's proxy): one
  django-oauth-toolkit Application, scoped to a tenant (and a unit), with the claims it may read.
  A OneRoster client (an LMS or SIS that reads the roster) is one too, of kind "oneroster",
  with the client-credentials grant and the OneRoster scopes it was granted.
- SigningKey: a tenant's RSA keys for ID tokens (RS256); retired keys stay in the JWKS until the
  tokens they signed have expired. Private keys encrypted at rest (core.secrets).
- LmsConnection: how a unit (or, with no unit, the whole tenant) reaches its LMS: Moodle web
  services, Canvas REST, or OneRoster (Microcred serves the roster; nothing is pushed).
- LmsAccount: the learner's user in that LMS, once found or created (a known learner costs one
  call to enrol, not two).
- Provision: one enrollment's access to its offering's LMS course: what it should be (`wanted`),
  what it is (`state`), the last error in words. Jobs move `state` toward `wanted`; the roster
  shows it.
- Entitlement: something beyond the course a seat grants, within a window around the offering's
  dates.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from oauth2_provider.models import Application

from catalog.models import Microcredential, Offering
from enrollment.models import Enrollment
from tenants.models import Tenant, Unit


class ClaimGroup(models.TextChoices):
    EMAIL = "email", _("E-mail address")
    PROFILE = "profile", _("Name")
    ENROLLMENTS = "enrollments", _("Active enrollments (course references, roles, dates)")
    ENTITLEMENTS = "entitlements", _("Entitlements (library, software, labs)")


class ClientKind(models.TextChoices):
    SIGN_IN = "sign_in", _("Sign-in (OpenID Connect, authorization code)")
    ONEROSTER = "oneroster", _("OneRoster roster reader (client credentials)")


class RelyingParty(models.Model):
    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    # A sign-in client (its `claims` are ClaimGroup values) or a OneRoster reader (its `claims`
    # are the OneRoster scopes it was granted; access.oneroster).
    kind = models.CharField(max_length=20, choices=ClientKind.choices, default=ClientKind.SIGN_IN)
    # Whose system it is: None for the whole tenant (e.g. the library's proxy).
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    application = models.OneToOneField(Application, on_delete=models.CASCADE, related_name="relying_party")
    name = models.CharField(_("name"), max_length=200)
    # First-party clients (the unit's own LMS) skip the consent screen.
    first_party = models.BooleanField(_("skip the consent screen"), default=False)
    claims = models.JSONField(default=list)  # ClaimGroup values it may read
    # PKCE (S256) on every sign-in; off only for a confidential client that cannot send it.
    pkce_required = models.BooleanField(_("require PKCE"), default=True)
    created_at = models.DateTimeField(default=timezone.now)
    disabled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name


class SigningKey(models.Model):
    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    kid = models.CharField(max_length=64)  # the JWK's key id (its RFC 7638 thumbprint)
    public_jwk = models.JSONField()
    private_key_encrypted = models.TextField()  # PKCS#8 PEM, core.secrets purpose "access.keys"
    created_at = models.DateTimeField(default=timezone.now)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["tenant", "created_at"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "kid"], name="access_signing_key_kid_unique"),
            models.UniqueConstraint(
                fields=["tenant"],
                condition=Q(retired_at__isnull=True),
                name="access_one_signing_key_per_tenant",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.tenant_id}:{self.kid}"


class LmsKind(models.TextChoices):
    MOODLE = "moodle", _("Moodle (web services)")
    CANVAS = "canvas", _("Canvas (REST API)")
    ONEROSTER = "oneroster", _("OneRoster 1.2 (the LMS reads our roster)")


class LmsConnection(models.Model):
    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    kind = models.CharField(_("LMS"), max_length=20, choices=LmsKind.choices)
    base_url = models.URLField(_("LMS address"), max_length=500, blank=True)
    token_encrypted = models.TextField(blank=True)  # core.secrets, purpose "access.lms"
    # Kind-specific: Moodle's student role id, Canvas's account id and auth provider, …
    options = models.JSONField(default=dict, blank=True)
    # At most this many calls to this LMS at once, from all workers.
    max_concurrency = models.PositiveSmallIntegerField(default=4)
    # Access ends this many days after a seat is cancelled, refunded, moved or expired.
    grace_days = models.PositiveSmallIntegerField(_("days of access after a seat ends"), default=0)
    is_active = models.BooleanField(default=True)
    last_tested_at = models.DateTimeField(null=True, blank=True)
    last_test_ok = models.BooleanField(null=True)
    last_error = models.CharField(max_length=1000, blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    last_polled_at = models.DateTimeField(null=True, blank=True)  # completions read back
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["tenant", "unit", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "unit"], condition=Q(unit__isnull=False), name="access_one_lms_per_unit"
            ),
            models.UniqueConstraint(
                fields=["tenant"], condition=Q(unit__isnull=True), name="access_one_lms_per_tenant"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.unit_id or 'tenant'})"


class LmsAccount(models.Model):
    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    connection = models.ForeignKey(LmsConnection, on_delete=models.PROTECT, related_name="accounts")
    learner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    remote_id = models.CharField(max_length=100)  # the LMS's user id
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["connection", "learner"], name="access_lms_account_unique")
        ]

    def __str__(self) -> str:
        return f"{self.connection_id}:{self.remote_id}"


class ProvisionState(models.TextChoices):
    PENDING = "pending", _("Waiting to be added")
    PROVISIONED = "provisioned", _("In the course")
    FAILED = "failed", _("Failed")
    DEPROVISION_DUE = "deprovision_due", _("Access ending")
    DEPROVISIONED = "deprovisioned", _("Removed from the course")


class Provision(models.Model):
    """One enrollment in one LMS course. `wanted` says whether the learner should be in it now;
    `state` what the last job achieved. A move to another offering gets a new row."""

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    enrollment = models.ForeignKey(Enrollment, on_delete=models.PROTECT, related_name="provisions")
    offering = models.ForeignKey(Offering, on_delete=models.PROTECT, related_name="+")
    connection = models.ForeignKey(LmsConnection, on_delete=models.PROTECT, related_name="provisions")
    course_ref = models.CharField(max_length=200)  # the offering's LMS course when provisioned
    wanted = models.BooleanField(default=True)
    state = models.CharField(max_length=20, choices=ProvisionState.choices, default=ProvisionState.PENDING)
    remote_enrollment_id = models.CharField(max_length=100, blank=True)
    # Access ends at this moment (the seat ended; the grace period runs out).
    deprovision_after = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=1000, blank=True)  # the LMS's error, in words
    claimed_at = models.DateTimeField(null=True, blank=True)  # a job is calling the LMS for it
    provisioned_at = models.DateTimeField(null=True, blank=True)
    deprovisioned_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["enrollment", "offering"], name="access_one_provision_per_offering"
            )
        ]
        indexes = [
            models.Index(fields=["state", "updated_at"], name="access_provision_state_idx"),
            models.Index(
                fields=["deprovision_after"],
                condition=Q(state="deprovision_due"),
                name="access_provision_due_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"provision {self.pk} ({self.state})"


class Entitlement(models.Model):
    """Access beyond the course a seat grants: for an offering, or for every offering of a
    microcredential; from `days_before_start` before it starts to `days_after_end` after it ends."""

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    microcredential = models.ForeignKey(
        Microcredential, on_delete=models.CASCADE, null=True, blank=True, related_name="entitlements"
    )
    offering = models.ForeignKey(
        Offering, on_delete=models.CASCADE, null=True, blank=True, related_name="entitlements"
    )
    name = models.CharField(_("name"), max_length=200)  # "Library e-resources"
    # What a proxy or licence server checks: an eduPersonEntitlement URN or a group name.
    identifier = models.CharField(_("identifier"), max_length=500)
    days_before_start = models.PositiveSmallIntegerField(_("days before the start"), default=0)
    days_after_end = models.PositiveSmallIntegerField(_("days after the end"), default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(microcredential__isnull=False, offering__isnull=True)
                | Q(microcredential__isnull=True, offering__isnull=False),
                name="access_entitlement_one_target",
            )
        ]

    def __str__(self) -> str:
        return self.name

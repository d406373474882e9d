"""Institutions (tenants), the host names they answer on, their campus units and their staff."""

from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

HEX_COLOUR_RE = r"^#[0-9a-fA-F]{6}$"
hex_colour = RegexValidator(HEX_COLOUR_RE, _("Enter a colour as # and six hex digits, like #1a5f7a."))
slug_validator = RegexValidator(
    r"^[a-z0-9]+(?:-[a-z0-9]+)*$",
    _("Use lowercase letters, digits and single hyphens, like continuing-ed."),
)
stripe_account_validator = RegexValidator(
    r"^acct_[A-Za-z0-9]{8,}$", _("A Stripe connected account id looks like acct_1Nv0FGQ9RKHgCVdK.")
)


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("%(tz)s is not a known time zone."), params={"tz": value})


class Tenant(models.Model):
    """An institution. One installation serves many; each sees only its own data."""

    slug = models.CharField(max_length=60, unique=True, validators=[slug_validator])
    name = models.CharField(max_length=200)
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    currency = models.CharField(max_length=3, default="USD", help_text=_("ISO 4217 code, like USD."))
    primary_colour = models.CharField(max_length=7, default="#1f4e79", validators=[hex_colour])
    contact_email = models.EmailField(blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(primary_colour__regex=HEX_COLOUR_RE), name="tenant_colour_hex"
            ),
            models.CheckConstraint(condition=Q(currency__regex=r"^[A-Z]{3}$"), name="tenant_currency_iso"),
        ]

    def __str__(self) -> str:
        return self.name


class Domain(models.Model):
    """A host name a tenant answers on (custom domain or platform subdomain)."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="domains")
    host = models.CharField(max_length=253, help_text=_("Host name without port, like learn.example.edu."))
    is_primary = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("host"), name="domain_host_ci_unique"),
            models.UniqueConstraint(
                fields=["tenant"], condition=Q(is_primary=True), name="domain_one_primary_per_tenant"
            ),
        ]

    def __str__(self) -> str:
        return self.host

    def save(self, *args: object, **kwargs: object) -> None:
        self.host = self.host.strip().lower()
        super().save(*args, **kwargs)  # type: ignore[arg-type]


class SettlementKind(models.TextChoices):
    INTERNAL_LEDGER = "internal_ledger", _("Internal ledger (GL / cost-centre code)")
    STRIPE_CONNECT = "stripe_connect", _("Stripe connected account (own legal entity)")


def unit_logo_path(unit: Unit, filename: str) -> str:
    return f"tenants/{unit.tenant_id}/units/{unit.slug}/{filename}"


class Unit(models.Model):
    """A campus unit: its own brand, staff, and where its money settles."""

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="units")
    slug = models.CharField(max_length=60, validators=[slug_validator])
    name = models.CharField(max_length=200)
    tagline = models.CharField(max_length=200, blank=True)
    primary_colour = models.CharField(max_length=7, default="#1f4e79", validators=[hex_colour])
    logo = models.ImageField(upload_to=unit_logo_path, blank=True)
    contact_email = models.EmailField(blank=True)
    gl_code = models.CharField(
        _("GL / cost-centre code"), max_length=40, help_text=_("Used on finance's journal exports.")
    )
    settlement_kind = models.CharField(
        max_length=20, choices=SettlementKind.choices, default=SettlementKind.INTERNAL_LEDGER
    )
    stripe_account_id = models.CharField(
        _("Stripe connected account id"), max_length=255, blank=True, validators=[stripe_account_validator]
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "slug"], name="unit_slug_unique_per_tenant"),
            models.CheckConstraint(condition=Q(primary_colour__regex=HEX_COLOUR_RE), name="unit_colour_hex"),
            models.CheckConstraint(
                condition=(
                    Q(settlement_kind=SettlementKind.INTERNAL_LEDGER, stripe_account_id="")
                    | Q(settlement_kind=SettlementKind.STRIPE_CONNECT, stripe_account_id__startswith="acct_")
                ),
                name="unit_settlement_destination_consistent",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        if self.settlement_kind == SettlementKind.STRIPE_CONNECT and not self.stripe_account_id:
            raise ValidationError(
                {"stripe_account_id": _("A unit settled through Stripe Connect needs its account id.")}
            )
        if self.settlement_kind == SettlementKind.INTERNAL_LEDGER and self.stripe_account_id:
            raise ValidationError(
                {"stripe_account_id": _("Leave this empty for a unit settled on the internal ledger.")}
            )


class StaffRole(models.TextChoices):
    TENANT_ADMIN = "tenant_admin", _("Tenant administrator")
    UNIT_ADMIN = "unit_admin", _("Unit administrator")
    FINANCE = "finance", _("Finance")


class StaffMembership(models.Model):
    """A person's role in a tenant. Unit admins and finance may be limited to chosen units."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=StaffRole.choices)
    all_units = models.BooleanField(
        default=False, help_text=_("Finance only: every unit of the tenant, now and later.")
    )
    units = models.ManyToManyField(Unit, blank=True, related_name="memberships")
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "user", "role"], name="membership_unique_role"),
            models.CheckConstraint(
                condition=Q(all_units=False) | Q(role="finance"), name="membership_all_units_finance_only"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} at {self.tenant}"


class StaffInvitation(models.Model):
    """An e-mailed invitation to take a staff role; accepted by signing in with that address."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=20, choices=StaffRole.choices)
    all_units = models.BooleanField(default=False)
    units = models.ManyToManyField(Unit, blank=True, related_name="+")
    token = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.email} as {self.get_role_display()}"

    @property
    def is_pending(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None and self.expires_at > timezone.now()


class SocialProviderKind(models.TextChoices):
    GOOGLE = "google", _("Google")
    MICROSOFT = "microsoft", _("Microsoft")
    LINKEDIN = "linkedin", _("LinkedIn")
    APPLE = "apple", _("Apple")


class SocialProvider(models.Model):
    """One social sign-in provider a tenant's admin switched on, with the tenant's own credentials.

    Served to allauth by learners.adapters.SocialAccountAdapter for the request's tenant only.
    Secrets are write-only in the console: pages show their last characters, never the whole.
    """

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="social_providers")
    kind = models.CharField(max_length=20, choices=SocialProviderKind.choices)
    client_id = models.CharField(
        _("client id"), max_length=255, help_text=_("Apple: the Services ID, like edu.example.signin.")
    )
    secret = models.TextField(_("client secret"), help_text=_("Apple: the key id of the private key."))
    apple_team_id = models.CharField(_("Apple team id"), max_length=20, blank=True)
    apple_private_key = models.TextField(_("Apple private key"), blank=True)
    verified_email_domains = models.CharField(
        _("domains whose e-mail addresses count as verified"),
        max_length=500,
        blank=True,
        help_text=_(
            "Microsoft does not vouch for the e-mail addresses it sends. List your own domains "
            "(comma-separated, like example.edu) to accept those addresses as verified."
        ),
    )
    is_enabled = models.BooleanField(_("show this sign-in option"), default=True)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["kind"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "kind"], name="social_provider_one_per_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} at {self.tenant}"

    @property
    def domains(self) -> list[str]:
        return [d.strip().lower() for d in self.verified_email_domains.split(",") if d.strip()]


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def active(self) -> ApiTokenQuerySet:
        return self.filter(revoked_at__isnull=True)


class ApiToken(models.Model):
    """A staff member's personal API token: scoped to one tenant and one of their roles.

    Only a SHA-256 hash of the token is stored; the token is shown once, when created.
    `prefix` (the token's first characters) lets people tell their tokens apart.
    """

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="api_tokens")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    role = models.CharField(max_length=20, choices=StaffRole.choices)
    name = models.CharField(_("name"), max_length=100, help_text=_("What the token is for, like 'LMS sync'."))
    prefix = models.CharField(max_length=16, unique=True)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(token_hash__regex=r"^[0-9a-f]{64}$"),  # noqa: S106 - a hash's shape
                name="api_token_sha256",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

"""Every write on tenants, units and staff. Callers pass the tenant and who is acting."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ValidationFailed
from identity.models import User
from tenants.brand import Brand
from tenants.errors import InvitationUnusable, InvitationWrongAccount, NotVisible, SelfRemovalRefused
from tenants.mail import branded_email
from tenants.models import (
    ApiToken,
    Domain,
    SettlementKind,
    SocialProvider,
    SocialProviderKind,
    StaffInvitation,
    StaffMembership,
    StaffRole,
    Tenant,
    Unit,
)
from tenants.selectors import StaffAccess

INVITATION_VALID_FOR = timedelta(days=7)

UNIT_FIELDS = (
    "name",
    "slug",
    "tagline",
    "primary_colour",
    "contact_email",
    "gl_code",
    "settlement_kind",
    "stripe_account_id",
    "is_active",
)


def _require_tenant_admin(access: StaffAccess, tenant: Tenant) -> None:
    if access.tenant_id != tenant.pk or not access.is_tenant_admin:
        raise NotVisible("Only a tenant administrator can do this.")


def tenant_create(*, slug: str, name: str, hosts: Iterable[str], **fields: Any) -> Tenant:
    with transaction.atomic():
        tenant = Tenant(slug=slug, name=name, **fields)
        tenant.full_clean()
        tenant.save()
        for index, host in enumerate(hosts):
            Domain.objects.create(tenant=tenant, host=host, is_primary=index == 0)
    return tenant


def _apply_unit_fields(unit: Unit, fields: dict[str, Any], logo: UploadedFile[bytes] | None) -> None:
    for name in UNIT_FIELDS:
        if name in fields:
            setattr(unit, name, fields[name])
    if unit.settlement_kind == SettlementKind.INTERNAL_LEDGER:
        unit.stripe_account_id = ""
    if logo is not None:
        unit.logo.save(logo.name or "logo", logo, save=False)


def unit_create(
    *, tenant: Tenant, access: StaffAccess, fields: dict[str, Any], logo: UploadedFile[bytes] | None = None
) -> Unit:
    _require_tenant_admin(access, tenant)
    unit = Unit(tenant=tenant)
    _apply_unit_fields(unit, fields, logo)
    unit.full_clean()
    unit.save()
    return unit


def unit_update(
    *,
    tenant: Tenant,
    access: StaffAccess,
    unit: Unit,
    fields: dict[str, Any],
    logo: UploadedFile[bytes] | None = None,
    remove_logo: bool = False,
) -> Unit:
    _require_tenant_admin(access, tenant)
    if unit.tenant_id != tenant.pk:
        raise NotVisible("No such unit.")
    if remove_logo and unit.logo:
        unit.logo.delete(save=False)
    _apply_unit_fields(unit, fields, logo)
    unit.full_clean()
    unit.save()
    return unit


def staff_invite(
    *,
    tenant: Tenant,
    access: StaffAccess,
    invited_by: User,
    email: str,
    role: str,
    units: Iterable[Unit] = (),
    all_units: bool = False,
    accept_url_for: Callable[[str], str],
) -> StaffInvitation:
    """Invite `email` to a role; the e-mail leaves after the invitation is committed.

    `accept_url_for(token)` builds the absolute link (the view knows the host).
    """
    _require_tenant_admin(access, tenant)
    chosen = list(units)
    if any(unit.tenant_id != tenant.pk for unit in chosen):
        raise NotVisible("No such unit.")
    with transaction.atomic():
        invitation = StaffInvitation.objects.create(
            tenant=tenant,
            email=User.objects.normalize_email(email),
            role=role,
            all_units=all_units and role == StaffRole.FINANCE,
            token=secrets.token_urlsafe(32),
            invited_by=invited_by,
            expires_at=timezone.now() + INVITATION_VALID_FOR,
        )
        if role != StaffRole.TENANT_ADMIN and not invitation.all_units:
            invitation.units.set(chosen)
        url = accept_url_for(invitation.token)
        transaction.on_commit(lambda: _send_invitation(invitation, url))
    return invitation


def _send_invitation(invitation: StaffInvitation, url: str) -> None:
    """In the tenant's brand; no outbox row, so it leaves through the e-mail queue (core.mail)."""
    tenant = invitation.tenant
    branded_email(
        brand=Brand.of_tenant(tenant),
        to=[invitation.email],
        template_prefix="tenants/email/invitation",
        context={"invitation": invitation, "url": url, "tenant": tenant},
    ).send()


def invitation_accept(*, tenant: Tenant, invitation: StaffInvitation, user: User) -> StaffMembership:
    """Give `user` the invited role. The signed-in address must be the invited one."""
    with transaction.atomic():
        invitation = StaffInvitation.objects.select_for_update().get(pk=invitation.pk, tenant=tenant)
        if not invitation.is_pending:
            raise InvitationUnusable("This invitation has expired, was withdrawn or was already used.")
        if user.email.lower() != invitation.email.lower():
            raise InvitationWrongAccount(
                f"This invitation is for {invitation.email}. Sign out and sign in with that address."
            )
        membership, _created = StaffMembership.objects.get_or_create(
            tenant=tenant,
            user=user,
            role=invitation.role,
            defaults={"all_units": invitation.all_units, "created_by": invitation.invited_by},
        )
        membership.units.add(*invitation.units.all())
        invitation.accepted_at = timezone.now()
        invitation.accepted_by = user
        invitation.save(update_fields=["accepted_at", "accepted_by"])
    return membership


def invitation_revoke(*, tenant: Tenant, access: StaffAccess, invitation_id: int) -> None:
    _require_tenant_admin(access, tenant)
    updated = StaffInvitation.objects.filter(
        tenant=tenant, pk=invitation_id, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=timezone.now())
    if not updated:
        raise NotVisible("No such invitation.")


def membership_remove(*, tenant: Tenant, access: StaffAccess, actor: User, membership_id: int) -> None:
    _require_tenant_admin(access, tenant)
    membership = StaffMembership.objects.filter(tenant=tenant, pk=membership_id).first()
    if membership is None:
        raise NotVisible("No such staff member.")
    if membership.user_id == actor.pk and membership.role == StaffRole.TENANT_ADMIN:
        raise SelfRemovalRefused(
            "You cannot remove your own tenant administrator role; ask another administrator."
        )
    membership.delete()


TOKEN_SCHEME = "mc"  # noqa: S105 - the tokens' visible prefix, not a secret


def api_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def api_token_create(
    *, tenant: Tenant, access: StaffAccess, user: User, role: str, name: str
) -> tuple[ApiToken, str]:
    """A new personal token for one of the person's roles here. Returns the row and the token,
    which is shown once and never stored (only its SHA-256 hash is)."""
    if access.tenant_id != tenant.pk or not access.is_staff:
        raise NotVisible("No such page.")
    if role not in access.roles:
        message = _("You do not hold this role here.")
        raise ValidationFailed(message, fields={"role": [message]})
    prefix = secrets.token_hex(4)
    token = f"{TOKEN_SCHEME}_{prefix}_{secrets.token_urlsafe(32)}"
    row = ApiToken.objects.create(
        tenant=tenant,
        user=user,
        role=role,
        name=name.strip(),
        prefix=f"{TOKEN_SCHEME}_{prefix}",
        token_hash=api_token_hash(token),
    )
    return row, token


def api_token_revoke(*, tenant: Tenant, user: User, token_id: int) -> ApiToken:
    """Revoke one of the person's own tokens in this tenant; another's or another tenant's is a 404."""
    token = ApiToken.objects.filter(tenant=tenant, user=user, pk=token_id).first()
    if token is None:
        raise NotVisible("No such token.")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.revoked_by = user
        token.save(update_fields=["revoked_at", "revoked_by"])
    return token


def api_token_touch(*, token: ApiToken) -> None:
    """Note when a token was last used, at most once a minute (every API call passes here)."""
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now


SOCIAL_PROVIDER_FIELDS = (
    "client_id",
    "apple_team_id",
    "verified_email_domains",
    "is_enabled",
)


def social_provider_save(
    *,
    tenant: Tenant,
    access: StaffAccess,
    actor: User,
    kind: str,
    fields: dict[str, Any],
    secret: str = "",
    apple_private_key: str = "",
) -> SocialProvider:
    """Switch a provider on (or update it) with the tenant's own credentials. An empty secret or
    key keeps the stored one, so they never travel back to the page."""
    _require_tenant_admin(access, tenant)
    provider = SocialProvider.objects.filter(tenant=tenant, kind=kind).first() or SocialProvider(
        tenant=tenant, kind=kind
    )
    for name in SOCIAL_PROVIDER_FIELDS:
        if name in fields:
            setattr(provider, name, fields[name])
    if secret:
        provider.secret = secret.strip()
    if apple_private_key:
        provider.apple_private_key = apple_private_key.strip()
    missing = {}
    if not provider.secret:
        missing["secret"] = [_("Enter the client secret.")]
    if kind == SocialProviderKind.APPLE:
        if not provider.apple_team_id:
            missing["apple_team_id"] = [_("Apple needs your team id.")]
        if not provider.apple_private_key:
            missing["apple_private_key"] = [_("Apple needs the private key (.p8 file contents).")]
    if missing:
        raise ValidationFailed(_("Some fields are missing."), fields=missing)
    provider.updated_at = timezone.now()
    provider.updated_by = actor
    provider.full_clean()
    provider.save()
    return provider


def social_provider_remove(*, tenant: Tenant, access: StaffAccess, kind: str) -> None:
    _require_tenant_admin(access, tenant)
    SocialProvider.objects.filter(tenant=tenant, kind=kind).delete()

"""Every write on tenants, units and staff. Callers pass the tenant and who is acting."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from identity.models import User
from tenants.errors import InvitationUnusable, InvitationWrongAccount, NotVisible, SelfRemovalRefused
from tenants.models import (
    Domain,
    SettlementKind,
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
    context = {"invitation": invitation, "url": url, "tenant": invitation.tenant}
    send_mail(
        subject=render_to_string("tenants/email/invitation_subject.txt", context).strip(),
        message=render_to_string("tenants/email/invitation_body.txt", context),
        from_email=None,
        recipient_list=[invitation.email],
    )


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

"""Reads for the credentials pages: the learner's, each credential's public share page, the
issuers' public documents, and the staff console and API."""

from __future__ import annotations

import uuid

from django.db.models import QuerySet

from catalog.models import Microcredential
from core.errors import NotFound
from credentials.models import Credential
from identity.models import User
from tenants.models import Tenant, Unit
from tenants.selectors import StaffAccess


def credentials_for_learner(*, tenant: Tenant, learner: User) -> QuerySet[Credential]:
    """The learner's credentials on this tenant, newest first (revoked ones too: they say so)."""
    return (
        Credential.objects.filter(tenant=tenant, learner=learner)
        .select_related("unit__tenant", "microcredential", "learner")
        .order_by("-issued_at", "-pk")
    )


def credential_public(*, tenant: Tenant, public_id: uuid.UUID) -> Credential:
    """A credential by its public id, on its own tenant only."""
    credential = (
        Credential.objects.filter(tenant=tenant, public_id=public_id)
        .select_related("unit__tenant", "microcredential", "learner")
        .first()
    )
    if credential is None:
        raise NotFound("There is no such credential here.", code="credential_not_found")
    return credential


def badge_microcredential(*, tenant: Tenant, microcredential_id: int) -> Microcredential:
    """The microcredential whose badge image is asked for, on this tenant (drafts too: a
    credential keeps pointing at its badge whatever becomes of the catalog page)."""
    if not 0 < microcredential_id < 2**63:
        raise NotFound("There is no such badge here.", code="badge_not_found")
    microcredential = (
        Microcredential.objects.filter(tenant=tenant, pk=microcredential_id)
        .select_related("unit__tenant")
        .first()
    )
    if microcredential is None:
        raise NotFound("There is no such badge here.", code="badge_not_found")
    return microcredential


def unit_microcredential(*, unit: Unit, microcredential_id: int) -> Microcredential | None:
    """One of the unit's microcredentials (its Achievement's public document)."""
    return (
        Microcredential.objects.filter(tenant_id=unit.tenant_id, unit=unit, pk=microcredential_id)
        .select_related("unit__tenant", "tenant")
        .first()
    )


def public_unit(*, tenant: Tenant, slug: str) -> Unit | None:
    return Unit.objects.filter(tenant=tenant, slug=slug).select_related("tenant").first()


def credentials_for_staff(
    *, tenant: Tenant, access: StaffAccess, unit_id: int | None = None
) -> QuerySet[Credential]:
    """Credentials of the units the person manages (a tenant admin: every unit)."""
    rows = Credential.objects.filter(tenant=tenant).select_related("unit", "learner", "microcredential")
    if access.managed_unit_ids is not None:
        rows = rows.filter(unit_id__in=access.managed_unit_ids)
    if unit_id is not None:
        rows = rows.filter(unit_id=unit_id)
    return rows.order_by("-issued_at", "-pk")

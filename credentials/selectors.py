"""Reads for the credentials pages: the learner's, each credential's public share page, the
issuers' public documents, and the staff console and API."""

from __future__ import annotations

import uuid

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.utils.translation import gettext as _

from catalog.models import Microcredential, PublicationStatus
from core.errors import NotFound
from credentials.models import Credential, Recognition, RecognitionStatus
from identity.models import User
from tenants.errors import NotVisible
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


# Prior learning (credentials.services.recognition)


def stack_parts(*, tenant: Tenant) -> QuerySet[Microcredential]:
    """What prior learning can count toward: the tenant's microcredentials that are a part of
    some stack (archived ones not)."""
    return (
        Microcredential.objects.filter(tenant=tenant, stacks_into__isnull=False)
        .exclude(status=PublicationStatus.ARCHIVED)
        .select_related("unit")
        .distinct()
        .order_by("title", "pk")
    )


def stack_parts_managed(*, tenant: Tenant, access: StaffAccess) -> QuerySet[Microcredential]:
    """The parts whose unit the person runs (a tenant admin: every part)."""
    parts = stack_parts(tenant=tenant)
    if access.tenant_id != tenant.pk:
        return parts.none()
    if access.managed_unit_ids is not None:
        parts = parts.filter(unit_id__in=access.managed_unit_ids)
    return parts


def recognitions_for_learner(*, tenant: Tenant, learner: User) -> QuerySet[Recognition]:
    return (
        Recognition.objects.filter(tenant=tenant, learner=learner)
        .select_related("part__unit")
        .order_by("-uploaded_at", "-pk")
    )


def recognitions_for_staff(
    *, tenant: Tenant, access: StaffAccess, status: str | None = None
) -> QuerySet[Recognition]:
    """Pending first, then newest first. A unit admin sees what asks for one of their units' parts,
    and what names no part yet (any unit may take it up); a tenant admin sees everything."""
    rows = Recognition.objects.filter(tenant=tenant).select_related("learner", "part__unit", "decided_by")
    if access.tenant_id != tenant.pk or not access.manages_any_unit:
        return rows.none()
    if access.managed_unit_ids is not None:
        rows = rows.filter(Q(part__isnull=True) | Q(part__unit_id__in=access.managed_unit_ids))
    if status:
        rows = rows.filter(status=status)
    pending_first = Case(
        When(status=RecognitionStatus.PENDING, then=Value(0)), default=Value(1), output_field=IntegerField()
    )
    return rows.order_by(pending_first, "-uploaded_at", "-pk")


def recognition_for_staff(*, tenant: Tenant, access: StaffAccess, recognition_id: int) -> Recognition:
    if not 0 < recognition_id < 2**63:
        raise NotVisible(_("Not found."))
    recognition = recognitions_for_staff(tenant=tenant, access=access).filter(pk=recognition_id).first()
    if recognition is None:
        raise NotVisible(_("Not found."))
    return recognition

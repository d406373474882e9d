"""Writing microcredentials: create, edit, stack, publish, unpublish, archive, restore."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.errors import ArchivedNotEditable
from catalog.models import Microcredential, PublicationStatus
from catalog.services._common import check_transition, invalid, record, require_manager, validate
from identity.models import User
from tenants.errors import NotVisible
from tenants.models import Tenant, Unit
from tenants.selectors import StaffAccess

# What a person writes about a microcredential (the console form and the API take these).
MICROCREDENTIAL_FIELDS = (
    "title",
    "summary",
    "description",
    "outcomes",
    "skills",
    "credit_value",
    "credit_type",
    "level",
    "bundle_discount_percent",
)


def _locked(*, tenant: Tenant, access: StaffAccess, microcredential_id: int) -> Microcredential:
    found = (
        Microcredential.objects.select_for_update(of=("self",))
        .select_related("unit")
        .filter(tenant=tenant, pk=microcredential_id)
        .first()
    )
    if found is None:
        raise NotVisible(_("No such microcredential."))
    require_manager(tenant=tenant, access=access, unit=found.unit)
    return found


def _check_parts(
    *,
    tenant: Tenant,
    access: StaffAccess,
    microcredential: Microcredential | None,
    parts: list[Microcredential],
) -> None:
    """Parts belong to the tenant, are published or run by this person, and never loop back."""
    problems: list[str] = []
    for part in parts:
        if part.tenant_id != tenant.pk:
            raise NotVisible(_("No such microcredential."))
        if part.status != PublicationStatus.PUBLISHED and not access.manages_unit(part.unit):
            raise NotVisible(_("No such microcredential."))
        if part.status == PublicationStatus.ARCHIVED:
            problems.append(_("“%(title)s” is archived; it cannot be a part.") % {"title": part.title})
    if microcredential is not None and microcredential.pk is not None:
        if any(part.pk == microcredential.pk for part in parts):
            problems.append(_("A microcredential cannot be a part of itself."))
        elif _would_loop(tenant=tenant, whole_id=microcredential.pk, part_ids={p.pk for p in parts}):
            problems.append(_("These parts would make a loop: one of them already contains this one."))
    if problems:
        raise invalid({"parts": problems})


def _would_loop(*, tenant: Tenant, whole_id: int, part_ids: set[int]) -> bool:
    """True if `whole` is reachable from any chosen part (one query for the tenant's edges)."""
    through = Microcredential.parts.through
    children: dict[int, list[int]] = {}
    edges = through.objects.filter(from_microcredential__tenant=tenant).values_list(
        "from_microcredential_id", "to_microcredential_id"
    )
    for parent, child in edges:
        if parent != whole_id:  # the whole's current parts are being replaced
            children.setdefault(parent, []).append(child)
    seen: set[int] = set()
    stack = list(part_ids)
    while stack:
        node = stack.pop()
        if node == whole_id:
            return True
        if node not in seen:
            seen.add(node)
            stack.extend(children.get(node, []))
    return False


def microcredential_create(
    *,
    tenant: Tenant,
    access: StaffAccess,
    actor: User | None,
    unit: Unit,
    fields: dict[str, Any],
    parts: Iterable[Microcredential] = (),
) -> Microcredential:
    require_manager(tenant=tenant, access=access, unit=unit)
    chosen = list(parts)
    microcredential = Microcredential(tenant=tenant, unit=unit)
    for name in MICROCREDENTIAL_FIELDS:
        if name in fields:
            setattr(microcredential, name, fields[name])
    validate(microcredential, exclude=["search_vector"])
    _check_parts(tenant=tenant, access=access, microcredential=None, parts=chosen)
    with transaction.atomic():
        microcredential.save()
        microcredential.parts.set(chosen)
        record(
            tenant=tenant,
            actor=actor,
            action="created",
            microcredential=microcredential,
            to_state=microcredential.status,
        )
    return microcredential


def microcredential_update(
    *,
    tenant: Tenant,
    access: StaffAccess,
    actor: User | None,
    microcredential_id: int,
    fields: dict[str, Any],
    parts: Iterable[Microcredential] | None = None,
) -> Microcredential:
    chosen = None if parts is None else list(parts)
    with transaction.atomic():
        microcredential = _locked(tenant=tenant, access=access, microcredential_id=microcredential_id)
        if microcredential.status == PublicationStatus.ARCHIVED:
            raise ArchivedNotEditable(_("This microcredential is archived; restore it to edit it."))
        changed = {
            name: str(fields[name])
            for name in MICROCREDENTIAL_FIELDS
            if name in fields and getattr(microcredential, name) != fields[name]
        }
        for name in changed:
            setattr(microcredential, name, fields[name])
        validate(microcredential, exclude=["search_vector"])
        if chosen is not None:
            _check_parts(tenant=tenant, access=access, microcredential=microcredential, parts=chosen)
        microcredential.save()
        if chosen is not None:
            microcredential.parts.set(chosen)
        record(
            tenant=tenant,
            actor=actor,
            action="updated",
            microcredential=microcredential,
            details={"fields": sorted(changed)},
        )
    return microcredential


def _transition(
    *, tenant: Tenant, access: StaffAccess, actor: User | None, microcredential_id: int, action: str
) -> Microcredential:
    with transaction.atomic():
        microcredential = _locked(tenant=tenant, access=access, microcredential_id=microcredential_id)
        before = microcredential.status
        microcredential.status = check_transition(before, action)
        if action == "publish":
            microcredential.published_at = timezone.now()
        microcredential.save(update_fields=["status", "published_at", "updated_at"])
        record(
            tenant=tenant,
            actor=actor,
            action=action,
            microcredential=microcredential,
            from_state=before,
            to_state=microcredential.status,
        )
    return microcredential


def microcredential_publish(
    *, tenant: Tenant, access: StaffAccess, actor: User | None, microcredential_id: int
) -> Microcredential:
    return _transition(
        tenant=tenant, access=access, actor=actor, microcredential_id=microcredential_id, action="publish"
    )


def microcredential_unpublish(
    *, tenant: Tenant, access: StaffAccess, actor: User | None, microcredential_id: int
) -> Microcredential:
    """Back to draft: its offerings leave the public catalog with it."""
    return _transition(
        tenant=tenant, access=access, actor=actor, microcredential_id=microcredential_id, action="unpublish"
    )


def microcredential_archive(
    *, tenant: Tenant, access: StaffAccess, actor: User | None, microcredential_id: int
) -> Microcredential:
    return _transition(
        tenant=tenant, access=access, actor=actor, microcredential_id=microcredential_id, action="archive"
    )


def microcredential_restore(
    *, tenant: Tenant, access: StaffAccess, actor: User | None, microcredential_id: int
) -> Microcredential:
    return _transition(
        tenant=tenant, access=access, actor=actor, microcredential_id=microcredential_id, action="restore"
    )

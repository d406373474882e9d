"""What every catalog write shares: who may act, field validation, state transitions, events."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _

from catalog.cache import catalog_changed
from catalog.errors import CatalogInvalid, TransitionRefused
from catalog.models import CatalogEvent, Microcredential, Offering, PublicationStatus
from identity.models import User
from tenants.errors import NotVisible
from tenants.models import Tenant, Unit
from tenants.selectors import StaffAccess

S = PublicationStatus

# action: (states it may start from, state it leads to)
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "publish": (frozenset({S.DRAFT}), S.PUBLISHED),
    "unpublish": (frozenset({S.PUBLISHED}), S.DRAFT),
    "archive": (frozenset({S.DRAFT, S.PUBLISHED}), S.ARCHIVED),
    "restore": (frozenset({S.ARCHIVED}), S.DRAFT),
}


def require_manager(*, tenant: Tenant, access: StaffAccess, unit: Unit) -> None:
    """Only tenant admins and the unit's own admins change a unit's catalog; others get a 404."""
    if access.tenant_id != tenant.pk or unit.tenant_id != tenant.pk or not access.manages_unit(unit):
        raise NotVisible(_("No such unit."))


def validate(instance: models.Model, *, exclude: list[str] | None = None) -> None:
    """Field and single-row rules, mapped to our error. Database constraints stay the backstop;
    Django's own constraint validation is skipped because it runs one query per constraint."""
    try:
        instance.full_clean(exclude=exclude, validate_constraints=False)
    except ValidationError as exc:
        raise invalid(exc.message_dict) from exc


def invalid(fields: dict[str, list[str]]) -> CatalogInvalid:
    return CatalogInvalid(
        _("Some fields are not valid."), fields={k: [str(m) for m in v] for k, v in fields.items()}
    )


def check_transition(current: str, action: str) -> str:
    """The state `action` leads to from `current`, or a refusal that says why."""
    allowed_from, to_state = TRANSITIONS[action]
    if current not in allowed_from:
        state = PublicationStatus(current).label.lower()
        messages = {
            "publish": _("Only a draft can be published; this one is %(state)s."),
            "unpublish": _("Only something published can be unpublished; this one is %(state)s."),
            "archive": _("This is already archived."),
            "restore": _("Only something archived can be restored; this one is %(state)s."),
        }
        raise TransitionRefused(messages[action] % {"state": state})
    return to_state


def record(
    *,
    tenant: Tenant,
    actor: User | None,
    action: str,
    microcredential: Microcredential | None = None,
    offering: Offering | None = None,
    from_state: str = "",
    to_state: str = "",
    details: dict[str, Any] | None = None,
) -> None:
    """Write the event row and make the tenant's cached catalog pages stale after commit."""
    CatalogEvent.objects.create(
        tenant=tenant,
        actor=actor,
        action=action,
        microcredential=microcredential or (offering.microcredential if offering else None),
        offering=offering,
        from_state=from_state,
        to_state=to_state,
        details=details or {},
    )
    catalog_changed(tenant.pk)

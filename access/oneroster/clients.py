"""OneRoster clients: the LMSs and SISs that read the roster. Each is one django-oauth-toolkit
Application (confidential, client credentials) behind a RelyingParty of kind "oneroster", whose
`claims` hold the OneRoster scopes it was granted and whose `unit`, when set, limits what it
reads to that unit. It gets a bearer token at the tenant's token endpoint (/oidc/token/); the
provider (access.provider) refuses it at other tenants and keeps it to its scopes.

The secret is stored hashed and returned once; disabling, enabling and a new secret are the
relying parties' own services (access.services.relying_parties), which apply to both kinds.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from oauth2_provider.generators import generate_client_secret
from oauth2_provider.models import Application

from access.models import ClientKind, RelyingParty
from access.oneroster.scopes import ONEROSTER_SCOPES, ROSTER_CORE_READONLY, ROSTER_READONLY
from access.services.relying_parties import Registered
from core.errors import NotFound, ValidationFailed
from tenants.models import Tenant, Unit


def oneroster_clients_for_tenant(*, tenant: Tenant) -> QuerySet[RelyingParty]:
    return RelyingParty.objects.filter(tenant=tenant, kind=ClientKind.ONEROSTER).select_related(
        "application", "unit"
    )


def _scopes(scopes: Iterable[str]) -> list[str]:
    chosen = set(scopes)
    if not chosen:
        raise ValidationFailed(_("Grant at least one scope."), fields={"scopes": [_("Required.")]})
    if chosen - ONEROSTER_SCOPES:
        raise ValidationFailed(_("Unknown scope."), fields={"scopes": [_("Choose from the list.")]})
    return [s for s in (ROSTER_CORE_READONLY, ROSTER_READONLY) if s in chosen]


@transaction.atomic
def oneroster_client_create(
    *, tenant: Tenant, name: str, unit: Unit | None, scopes: Iterable[str]
) -> Registered:
    """Register a roster reader; its secret is returned here once."""
    name = name.strip()
    if not name:
        raise ValidationFailed(_("Give it a name."), fields={"name": [_("Required.")]})
    if unit is not None and unit.tenant_id != tenant.pk:
        raise NotFound(_("No such unit."))
    granted = _scopes(scopes)
    secret = generate_client_secret()
    application = Application(
        name=name[:255],
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
        redirect_uris="",
        client_secret=secret,  # hashed on save
        hash_client_secret=True,
        skip_authorization=True,
    )
    application.save()
    rp = RelyingParty.objects.create(
        tenant=tenant,
        unit=unit,
        kind=ClientKind.ONEROSTER,
        application=application,
        name=name,
        first_party=True,
        claims=granted,
        pkce_required=False,
    )
    return Registered(relying_party=rp, client_secret=secret)

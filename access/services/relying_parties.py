"""Relying parties: the systems a tenant's learners sign in to with Microcred (a unit's LMS, the
library's proxy). Each is one django-oauth-toolkit Application (confidential, authorization code,
RS256), scoped to the tenant and optionally a unit, with the claim groups it may read.

The client secret is stored hashed: it is returned once, when made, and never again (a new one
can be made, which ends the old one).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from oauth2_provider.generators import generate_client_secret
from oauth2_provider.models import AccessToken, Application, RefreshToken
from oauth2_provider.settings import oauth2_settings
from oauth2_provider.validators import AllowedURIValidator

from access.models import ClaimGroup, RelyingParty
from core.errors import NotFound, ValidationFailed
from tenants.models import Tenant, Unit


@dataclass(frozen=True)
class Registered:
    relying_party: RelyingParty
    client_secret: str  # in clear: show it once


def _uris(text: str, *, field: str, required: bool) -> str:
    uris = text.split()
    if required and not uris:
        raise ValidationFailed(_("Give at least one redirect URI."), fields={field: [_("Required.")]})
    validator = AllowedURIValidator(
        set(oauth2_settings.ALLOWED_REDIRECT_URI_SCHEMES),
        name="redirect uri",
        allow_path=True,
        allow_query=True,
    )
    for uri in uris:
        if len(uri) > 2000:
            raise ValidationFailed(_("A URI is too long."), fields={field: [_("At most 2,000 characters.")]})
        try:
            validator(uri)
        except ValidationError as exc:
            message = _("%(uri)s is not an allowed address (https, no fragment).") % {"uri": uri[:200]}
            raise ValidationFailed(message, fields={field: [message]}) from exc
    return "\n".join(dict.fromkeys(uris))


def _claims(groups: Iterable[str]) -> list[str]:
    chosen = set(groups)
    unknown = chosen - set(ClaimGroup.values)
    if unknown:
        raise ValidationFailed(_("Unknown claim group."), fields={"claims": [_("Choose from the list.")]})
    return [g for g in ClaimGroup.values if g in chosen]


def relying_parties_for_tenant(*, tenant: Tenant) -> QuerySet[RelyingParty]:
    return RelyingParty.objects.filter(tenant=tenant).select_related("application", "unit")


def relying_party_get(*, tenant: Tenant, pk: int) -> RelyingParty:
    rp = relying_parties_for_tenant(tenant=tenant).filter(pk=pk).first()
    if rp is None:
        raise NotFound(_("No such relying party."))
    return rp


def _unit(*, tenant: Tenant, unit: Unit | None) -> Unit | None:
    if unit is not None and unit.tenant_id != tenant.pk:
        raise NotFound(_("No such unit."))
    return unit


@transaction.atomic
def relying_party_create(
    *,
    tenant: Tenant,
    name: str,
    unit: Unit | None,
    redirect_uris: str,
    post_logout_redirect_uris: str = "",
    claims: Iterable[str],
    first_party: bool,
    pkce_required: bool = True,
) -> Registered:
    """Register a client; its secret is returned here once."""
    name = name.strip()
    if not name:
        raise ValidationFailed(_("Give it a name."), fields={"name": [_("Required.")]})
    secret = generate_client_secret()
    application = Application(
        name=name[:255],
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=_uris(redirect_uris, field="redirect_uris", required=True),
        post_logout_redirect_uris=_uris(
            post_logout_redirect_uris, field="post_logout_redirect_uris", required=False
        ),
        client_secret=secret,  # hashed on save
        hash_client_secret=True,
        skip_authorization=first_party,
        algorithm=Application.RS256_ALGORITHM,
    )
    application.save()
    rp = RelyingParty.objects.create(
        tenant=tenant,
        unit=_unit(tenant=tenant, unit=unit),
        application=application,
        name=name,
        first_party=first_party,
        claims=_claims(claims),
        pkce_required=pkce_required,
    )
    return Registered(relying_party=rp, client_secret=secret)


@transaction.atomic
def relying_party_update(
    *,
    tenant: Tenant,
    pk: int,
    name: str,
    unit: Unit | None,
    redirect_uris: str,
    post_logout_redirect_uris: str = "",
    claims: Iterable[str],
    first_party: bool,
    pkce_required: bool = True,
) -> RelyingParty:
    rp = relying_party_get(tenant=tenant, pk=pk)
    name = name.strip()
    if not name:
        raise ValidationFailed(_("Give it a name."), fields={"name": [_("Required.")]})
    application = rp.application
    application.name = name[:255]
    application.redirect_uris = _uris(redirect_uris, field="redirect_uris", required=True)
    application.post_logout_redirect_uris = _uris(
        post_logout_redirect_uris, field="post_logout_redirect_uris", required=False
    )
    application.skip_authorization = first_party
    application.save(
        update_fields=["name", "redirect_uris", "post_logout_redirect_uris", "skip_authorization", "updated"]
    )
    rp.name = name
    rp.unit = _unit(tenant=tenant, unit=unit)
    rp.first_party = first_party
    rp.claims = _claims(claims)
    rp.pkce_required = pkce_required
    rp.save(update_fields=["name", "unit", "first_party", "claims", "pkce_required"])
    return rp


def _end_tokens(application: Application) -> None:
    """Refresh and access tokens stop working at once (ID tokens simply expire)."""
    RefreshToken.objects.filter(application=application, revoked__isnull=True).update(revoked=timezone.now())
    AccessToken.objects.filter(application=application).delete()


@transaction.atomic
def relying_party_disable(*, tenant: Tenant, pk: int) -> RelyingParty:
    """Refused from now on: sign-in, tokens, userinfo."""
    rp = relying_party_get(tenant=tenant, pk=pk)
    if rp.disabled_at is None:
        rp.disabled_at = timezone.now()
        rp.save(update_fields=["disabled_at"])
        _end_tokens(rp.application)
    return rp


@transaction.atomic
def relying_party_enable(*, tenant: Tenant, pk: int) -> RelyingParty:
    rp = relying_party_get(tenant=tenant, pk=pk)
    rp.disabled_at = None
    rp.save(update_fields=["disabled_at"])
    return rp


@transaction.atomic
def relying_party_secret_new(*, tenant: Tenant, pk: int) -> Registered:
    """A new client secret (shown once); the old one stops working now."""
    rp = relying_party_get(tenant=tenant, pk=pk)
    secret = generate_client_secret()
    application = rp.application
    application.client_secret = secret
    application.save(update_fields=["client_secret", "updated"])
    return Registered(relying_party=rp, client_secret=secret)

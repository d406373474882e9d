"""Public addresses of what credentials publish, on the tenant's primary host (tenants.mail.site_url).

Every address a signed credential carries is built here, so a credential, its badge image and
its share page agree.
"""

from __future__ import annotations

from urllib.parse import quote

from django.conf import settings

from catalog.models import Microcredential
from credentials.models import Credential
from tenants.cache import primary_host_cached
from tenants.mail import site_url
from tenants.models import Tenant, Unit


def badge_image_url(microcredential: Microcredential, *, site: str | None = None) -> str:
    """The microcredential's badge image (served by the learner pages). `site`: the tenant's
    site_url when the caller has it already (many achievements, one query)."""
    return f"{site or site_url(microcredential.tenant)}/badges/{microcredential.pk}.png"


def share_url(credential: Credential) -> str:
    """The credential's public share page."""
    return f"{site_url(credential.tenant)}/credentials/{credential.public_id}/"


def achievement_url(microcredential: Microcredential, *, site: str | None = None) -> str:
    """The Achievement's stable id (one per microcredential)."""
    unit = microcredential.unit
    return f"{site or site_url(microcredential.tenant)}/units/{unit.slug}/achievements/{microcredential.pk}"


def status_list_url(unit: Unit, purpose: str) -> str:
    return f"{site_url(unit.tenant)}/units/{unit.slug}/status/{purpose}"


def record_share_url(tenant: Tenant, token: str) -> str:
    """A learner record's public share page (a link the learner can revoke)."""
    return f"{site_url(tenant)}/records/{token}/"


def did_document_url(unit: Unit) -> str:
    return f"{site_url(unit.tenant)}/units/{unit.slug}/did.json"


def primary_host(tenant: Tenant) -> str:
    return primary_host_cached(tenant.pk) or "localhost"


def _did_host(tenant: Tenant) -> str:
    host = primary_host(tenant)
    if settings.PUBLIC_PORT:
        host = f"{host}:{settings.PUBLIC_PORT}"
    return quote(host, safe="")


def unit_did(unit: Unit) -> str:
    """did:web:HOST[%3APORT]:units:SLUG, resolved at HOST[:PORT]/units/SLUG/did.json."""
    return f"did:web:{_did_host(unit.tenant)}:units:{unit.slug}"


def tenant_did(tenant: Tenant) -> str:
    """did:web:HOST[%3APORT], resolved at HOST[:PORT]/.well-known/did.json: the tenant itself,
    which signs learner records."""
    return f"did:web:{_did_host(tenant)}"

"""The learner's credentials (My credentials) and each credential's public pages: the share
page, the JSON and baked-PNG downloads, and the badge image every credential points at."""

from __future__ import annotations

import json
import uuid
from zoneinfo import ZoneInfo

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from core.errors import NotFound
from credentials import badge_image, baking, presenters, selectors
from credentials.models import Credential, CredentialStatus, RecognitionStatus
from credentials.services.verify import verify_credential
from tenants.http import StaffRequest, TenantRequest

BADGE_CACHE_SECONDS = 3600


def _base_url(request: TenantRequest) -> str:
    return request.build_absolute_uri("/").rstrip("/")


@require_safe
@login_required
def my_credentials(request: StaffRequest) -> HttpResponse:
    tz = ZoneInfo(request.tenant.time_zone)
    now = timezone.now()
    base = _base_url(request)
    cards = [
        presenters.credential_card(c, base_url=base, tz=tz, now=now)
        for c in selectors.credentials_for_learner(tenant=request.tenant, learner=request.user)
    ]
    recognised = [
        presenters.recognition_row(r)
        for r in selectors.recognitions_for_learner(tenant=request.tenant, learner=request.user).filter(
            status=RecognitionStatus.ACCEPTED
        )
    ]
    return render(
        request, "credentials/learner/my_credentials.html", {"cards": cards, "recognised": recognised}
    )


def _credential(request: TenantRequest, public_id: uuid.UUID) -> Credential:
    try:
        return selectors.credential_public(tenant=request.tenant, public_id=public_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc


@require_safe
def share(request: TenantRequest, public_id: uuid.UUID) -> HttpResponse:
    """Public: what the credential certifies, and whether it checks out right now."""
    credential = _credential(request, public_id)
    page = presenters.share_page(
        credential,
        verdict=verify_credential(credential),
        base_url=_base_url(request),
        tz=ZoneInfo(request.tenant.time_zone),
    )
    response = render(
        request,
        "credentials/learner/share.html",
        {
            "page": page,
            "card": page.card,
            "brand": page.card.brand,
            "revoked": credential.status == CredentialStatus.REVOKED,
            "suspended": credential.status == CredentialStatus.SUSPENDED,
            "is_owner": request.user.is_authenticated and request.user.pk == credential.learner_id,
            "og_image": _base_url(request) + page.card.image_url,
        },
    )
    # The verdict is of this moment (a revocation shows at once): never kept by a cache.
    response["Cache-Control"] = "no-cache"
    return response


@require_safe
def credential_json(request: TenantRequest, public_id: uuid.UUID) -> HttpResponse:
    """The signed document as issued, for wallets and verifiers."""
    credential = _credential(request, public_id)
    response = HttpResponse(
        json.dumps(credential.document, ensure_ascii=False, indent=2), content_type="application/ld+json"
    )
    response["Content-Disposition"] = f'attachment; filename="credential-{credential.public_id}.json"'
    return response


@require_safe
def credential_png(request: TenantRequest, public_id: uuid.UUID) -> HttpResponse:
    """The badge image with the credential baked in (Open Badges 3.0 baking)."""
    credential = _credential(request, public_id)
    png = baking.bake(badge_image.badge_png(credential.microcredential), credential.document)
    response = HttpResponse(png, content_type="image/png")
    response["Content-Disposition"] = f'attachment; filename="credential-{credential.public_id}.png"'
    return response


@require_safe
def badge(request: TenantRequest, microcredential_id: int) -> HttpResponse:
    """Public: the microcredential's badge image (every credential's achievement.image)."""
    try:
        microcredential = selectors.badge_microcredential(
            tenant=request.tenant, microcredential_id=microcredential_id
        )
    except NotFound as exc:
        raise Http404(exc.message) from exc
    response = HttpResponse(badge_image.badge_png(microcredential), content_type="image/png")
    response["Cache-Control"] = f"public, max-age={BADGE_CACHE_SECONDS}"
    return response

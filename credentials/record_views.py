"""The learner's record: My learning record (with its share links), the signed CLR download, the
printable transcript; and a shared link's public page and JSON."""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from core.errors import NotFound, ValidationFailed
from credentials import record_presenters
from credentials.presenters import CHECK_LABELS, CheckRow
from credentials.services import record, record_shares
from credentials.services.verify import Verdict, verify_document
from tenants.http import StaffRequest, TenantRequest

logger = logging.getLogger(__name__)

VERDICT_SECONDS = 300


def _json_download(document: dict[str, Any], filename: str) -> HttpResponse:
    response = HttpResponse(
        json.dumps(document, ensure_ascii=False, indent=2), content_type="application/ld+json"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-cache"
    return response


@require_safe
@login_required
def my_record(request: StaffRequest) -> HttpResponse:
    learner_record = record.learner_record(tenant=request.tenant, learner=request.user)
    shares = [
        (share, request.build_absolute_uri(reverse("record-share", args=[share.token])))
        for share in record_shares.shares_of(tenant=request.tenant, learner=request.user)
    ]
    return render(
        request,
        "credentials/learner/my_record.html",
        {"page": record_presenters.record_page(learner_record), "shares": shares},
    )


@require_safe
@login_required
def my_record_json(request: StaffRequest) -> HttpResponse:
    return _json_download(
        record.clr_build(tenant=request.tenant, learner=request.user), "learner-record.json"
    )


@require_safe
@login_required
def my_transcript(request: StaffRequest) -> HttpResponse:
    learner_record = record.learner_record(tenant=request.tenant, learner=request.user)
    return render(
        request,
        "credentials/learner/transcript.html",
        {"page": record_presenters.record_page(learner_record), "printed": timezone.localdate()},
    )


@require_POST
@login_required
def share_create(request: StaffRequest) -> HttpResponse:
    try:
        record_shares.record_share_create(tenant=request.tenant, learner=request.user)
    except ValidationFailed as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("A new link to your record is ready: copy it below."))
    return HttpResponseRedirect(reverse("my-record") + "#shares")


@require_POST
@login_required
def share_revoke(request: StaffRequest, share_id: int) -> HttpResponse:
    try:
        record_shares.record_share_revoke(tenant=request.tenant, learner=request.user, share_id=share_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    messages.success(request, _("The link is revoked: it no longer opens your record."))
    return HttpResponseRedirect(reverse("my-record") + "#shares")


def _shared(request: TenantRequest, token: str) -> record.LearnerRecord:
    try:
        share = record_shares.record_share_find(tenant=request.tenant, token=token)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    return record.learner_record(tenant=request.tenant, learner=share.learner)


def _verdict(document: dict[str, Any]) -> Verdict:
    """The verifier's verdict on the signed record, kept a few minutes per signature (checking
    a record of many credentials takes a few hundred milliseconds)."""
    signature = str(document.get("proof", {}).get("proofValue", ""))
    key = "credentials:clr-verdict:" + hashlib.sha256(signature.encode()).hexdigest()
    try:
        kept = cache.get(key)
    except Exception:
        logger.warning("record verdict cache unreadable", exc_info=True)
        kept = None
    if isinstance(kept, Verdict):
        return kept
    verdict = verify_document(document)
    try:
        cache.set(key, verdict, VERDICT_SECONDS)
    except Exception:
        logger.warning("record verdict cache unwritable", exc_info=True)
    return verdict


def _private(response: HttpResponse) -> HttpResponse:
    """A shared record's answer: not kept by caches, not indexed, its address not sent on."""
    response["Cache-Control"] = "no-cache"
    response["X-Robots-Tag"] = "noindex"
    response["Referrer-Policy"] = "no-referrer"
    return response


@require_safe
def shared_record(request: TenantRequest, token: str) -> HttpResponse:
    learner_record = _shared(request, token)
    verdict = _verdict(record.clr_signed(learner_record))
    response = render(
        request,
        "credentials/learner/record_share.html",
        {
            "page": record_presenters.record_page(learner_record),
            "token": token,
            "verified": verdict.ok,
            "checks": [
                CheckRow(str(CHECK_LABELS.get(c.name, c.name.title())), c.ok, c.message)
                for c in verdict.checks
            ],
        },
    )
    return _private(response)


@require_safe
def shared_record_json(request: TenantRequest, token: str) -> HttpResponse:
    document = record.clr_signed(_shared(request, token))
    return _private(_json_download(document, "learner-record.json"))
